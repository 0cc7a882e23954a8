import type { MemberId } from '../../raft/types.js';
import { formatSeed, Rng } from '../rng.js';
import { RuntimeSim } from './runtime-sim.js';

/** Cluster timings a scenario draws from: the defaults, a fast one, and a narrow election range. */
const TIMINGS: readonly { heartbeatMs: number; electionTimeoutMs: readonly [number, number] }[] = [
  { heartbeatMs: 50, electionTimeoutMs: [300, 600] },
  { heartbeatMs: 20, electionTimeoutMs: [100, 200] },
  { heartbeatMs: 50, electionTimeoutMs: [300, 310] },
];

export interface RuntimeScenarioOutcome {
  readonly seed: number;
  readonly members: number;
  /** The checker's error (it names the seed), or undefined when every check held. */
  readonly failure: string | undefined;
  /** What was done, with simulated times: the tail explains a failure. */
  readonly steps: readonly string[];
}

/**
 * One random fault schedule against the production runtime (RuntimeSim),
 * derived only from `seed`: pauses of followers and leaders (10–400 ms, around
 * which the leader is cut off one way or both), leadership transfers,
 * partitions, heals, crashes and restarts of a minority, slow disks, message
 * loss and delays, one of three timings. The RuntimeSim checks after every
 * event that at most one token is valid, that no term has two leaders, and
 * that nothing is applied before it is durable; the first violation ends the
 * run. After the faults are healed, a member must hold a valid token again
 * within ten election timeouts. The same seed replays the same run exactly.
 */
export async function runRuntimeScenario(seed: number, members: 3 | 5): Promise<RuntimeScenarioOutcome> {
  const ids: MemberId[] = Array.from({ length: members }, (_, i) => `n${i + 1}`);
  const rng = Rng.fromSeed(seed).fork('runtime-scenario');
  const timing = rng.pick(TIMINGS);
  const dropRate = rng.chance(0.3) ? 0.02 : 0;
  const delayMs = rng.chance(0.5) ? ([0.1, 2] as const) : ([0.1, 15] as const);
  const sim = new RuntimeSim({ seed, members: ids, afterPause: 'random', dropRate, delayMs, ...timing });
  const steps = [`timing ${JSON.stringify(timing)}, drop ${dropRate}, delay ${delayMs.join('–')} ms`];
  const note = (what: string) => steps.push(`${sim.nowMs.toFixed(3)} ms: ${what}`);
  const electionMs = timing.electionTimeoutMs[0];
  const down = new Set<MemberId>();
  try {
    for (const id of ids) await sim.start(id);
    await sim.runUntil(sim.nowMs + electionMs * rng.real(2, 3));
    for (let step = 0; step < 30; step++) {
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
    sim.heal();
    for (const id of ids) sim.slowDisk(id, 0);
    // Liveness (§2.5): healed, with a majority up, some member holds a valid token again.
    const budgetMs = 10 * electionMs;
    if (!(await sim.runUntilTrue(() => sim.validHolders().length === 1, budgetMs))) {
      return {
        seed,
        members,
        failure: `seed=${formatSeed(seed)}: no valid leadership token within ${budgetMs} ms after healing`,
        steps,
      };
    }
  } catch (error) {
    return { seed, members, failure: error instanceof Error ? error.message : String(error), steps };
  }
  return { seed, members, failure: undefined, steps };
}
