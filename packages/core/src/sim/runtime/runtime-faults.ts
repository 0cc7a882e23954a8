import type { MemberId } from '../../raft/types.js';
import type { Rng } from '../rng.js';
import type { RuntimeSim } from './runtime-sim.js';

/** How many random faults one runtime scenario injects. */
export const FAULT_STEPS = 30;

/** Targeted fault sequences (write-path-probes.ts) the schedule mixes in, with their own random stream. */
export interface ProbeHook {
  readonly rng: Rng;
  /** Share of steps that run a probe instead of a random fault (when a leader is known). */
  readonly share: number;
  run(leader: MemberId): Promise<void>;
}

/**
 * Injects FAULT_STEPS random faults into a running RuntimeSim, each followed
 * by a random stretch of time: pauses of followers and leaders (10–400 ms,
 * around which the leader is cut off one way or both), leadership transfers,
 * cuts, heals, crashes and restarts of a minority, slow disks. Members it
 * crashed are in `down` when it returns. Every choice comes from `rng`
 * (and the probe's own stream); `note` records what was done.
 */
export async function injectFaults(
  sim: RuntimeSim,
  rng: Rng,
  ids: readonly MemberId[],
  electionMs: number,
  down: Set<MemberId>,
  note: (what: string) => void,
  probe?: ProbeHook,
): Promise<void> {
  const members = ids.length;
  for (let step = 0; step < FAULT_STEPS; step++) {
    const up = ids.filter((id) => !down.has(id));
    const leader = up.find((id) => sim.loop(id)?.status().role === 'leader');
    const followers = up.filter((id) => id !== leader);
    const cut = (from: MemberId, to: MemberId) => {
      if (rng.chance(0.5)) {
        sim.partition([from], [to]);
        note(`cut ${from} <> ${to}`);
      } else {
        sim.cutOneWay(from, to);
        note(`cut ${from} > ${to}`);
      }
    };
    if (probe && leader !== undefined && probe.rng.chance(probe.share)) {
      await probe.run(leader);
      continue;
    }
    const k = rng.float();
    if (k < 0.3 && leader !== undefined && followers.length > 0) {
      // A follower stalls; around its resume the leader loses some of its links.
      const follower = rng.pick(followers);
      const ms = rng.real(10, 400);
      sim.pause(follower, ms);
      note(`pause follower ${follower} ${ms.toFixed(1)} ms`);
      await sim.runUntil(sim.nowMs + ms * rng.real(0, 1.3));
      for (const other of followers) if (rng.chance(0.6)) cut(leader, other);
    } else if (k < 0.5 && leader !== undefined) {
      const ms = rng.real(10, 400);
      sim.pause(leader, ms);
      note(`pause leader ${leader} ${ms.toFixed(1)} ms`);
      if (rng.chance(0.5)) cut(rng.pick(followers.length > 0 ? followers : ids), leader);
    } else if (k < 0.58 && leader !== undefined) {
      note(`transfer from ${leader} to ${sim.loop(leader)?.transferLeadership() ?? 'nobody'}`);
    } else if (k < 0.66) {
      const a = rng.pick(ids);
      cut(a, rng.pick(ids.filter((id) => id !== a)));
    } else if (k < 0.76) {
      sim.heal();
      note('heal');
    } else if (k < 0.84) {
      const id = rng.pick(up);
      if (down.size < Math.floor((members - 1) / 2)) {
        sim.crash(id);
        down.add(id);
        note(`crash ${id}${id === leader ? ' (leader)' : ''}`);
      }
    } else if (k < 0.92) {
      if (down.size > 0) {
        const id = rng.pick([...down]);
        await sim.start(id);
        down.delete(id);
        note(`restart ${id}`);
      }
    } else {
      const id = rng.pick(up);
      const ms = rng.chance(0.5) ? 0 : rng.real(0, 300);
      sim.slowDisk(id, ms);
      note(`slow disk ${id} ${ms.toFixed(0)} ms`);
    }
    await sim.runUntil(sim.nowMs + rng.real(2, 2 + electionMs));
  }
}
