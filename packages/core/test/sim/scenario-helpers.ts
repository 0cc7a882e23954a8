import { expect } from 'vitest';
import type { ProposeResult } from '../../src/raft/raw-node.js';
import type { Entry, LogIndex, MemberId } from '../../src/raft/types.js';
import { Simulator, type SimulatorOptions } from '../../src/sim/index.js';

/** Ticks within which any election in these scenarios must finish (several election timeouts). */
export const ELECTION_TICKS_MAX = 150;

/** A simulator for a scripted scenario: a calm network unless told otherwise, no random faults. */
export function scenario(seed: number, members: number, extra: Partial<SimulatorOptions> = {}): Simulator {
  return new Simulator({ seed, members, ...extra });
}

/** Runs until some member leads (and, if given, it is one of `among`); returns it. */
export function awaitLeader(
  sim: Simulator,
  among: readonly MemberId[] = sim.ids,
  ticks = ELECTION_TICKS_MAX,
): MemberId {
  const found = sim.runUntil(
    () => {
      const leader = currentLeader(sim, among);
      return leader !== undefined;
    },
    { ticksMax: ticks },
  );
  expect(found, `no leader among ${among.join(',')} within ${ticks} ticks`).toBe(true);
  return currentLeader(sim, among) as MemberId;
}

/** The up member of `among` that leads in the highest term, if any. */
export function currentLeader(sim: Simulator, among: readonly MemberId[] = sim.ids): MemberId | undefined {
  let best: { id: MemberId; term: number } | undefined;
  for (const id of among) {
    const s = sim.status(id);
    if (s?.role === 'leader' && (best === undefined || s.term > best.term)) best = { id, term: s.term };
  }
  return best?.id;
}

/** Proposes on `id` and expects the leader to accept; returns the index. */
export function proposeOk(sim: Simulator, id: MemberId, command: string): LogIndex {
  const result: ProposeResult | undefined = sim.propose(id, command);
  expect(result?.ok, `propose ${command} on ${id}: ${JSON.stringify(result)}`).toBe(true);
  return result?.ok ? result.index : -1;
}

/** Proposes `command` on whoever leads, retrying under churn, until it is applied on every member in `on`. */
export function commitEverywhere(
  sim: Simulator,
  command: string,
  on: readonly MemberId[] = sim.ids,
  ticks = ELECTION_TICKS_MAX * 2,
): LogIndex {
  let attempt = 0;
  const deadlineUs = sim.nowUs + ticks * sim.tickUs;
  while (sim.nowUs < deadlineUs) {
    const leader = awaitLeader(sim, sim.ids, Math.ceil((deadlineUs - sim.nowUs) / sim.tickUs));
    const text = `${command}#${attempt++}`;
    const result = sim.propose(leader, text);
    if (!result?.ok) {
      sim.runFor(1);
      continue;
    }
    const index = result.index;
    const settled = (): boolean => {
      const applied = sim.checkers.apply.appliedAt(index);
      return (
        applied !== undefined &&
        (applied.termKey !== `${result.term}|cmd:${text}` || appliedOn(sim, index, on))
      );
    };
    sim.runUntil(settled, { ticksMax: Math.ceil((deadlineUs - sim.nowUs) / sim.tickUs) });
    if (
      sim.checkers.apply.appliedAt(index)?.termKey === `${result.term}|cmd:${text}` &&
      appliedOn(sim, index, on)
    ) {
      return index;
    }
  }
  throw new Error(`${command} not applied on ${on.join(',')} within ${ticks} ticks`);
}

/** Whether every member in `on` is up and has applied `index`. */
export function appliedOn(sim: Simulator, index: LogIndex, on: readonly MemberId[] = sim.ids): boolean {
  return on.every((id) => (sim.member(id).stateMachine()?.appliedIndex ?? -1) >= index);
}

/** The entry at `index` in `id`'s in-memory log, if it holds it. */
export function entryAt(sim: Simulator, id: MemberId, index: LogIndex): Entry | undefined {
  const view = sim.member(id).view();
  return view.entries[index - view.snapshotIndex - 1];
}

/** The other members. */
export function others(sim: Simulator, ...ids: MemberId[]): MemberId[] {
  return sim.ids.filter((id) => !ids.includes(id));
}
