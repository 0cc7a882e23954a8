import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import {
  appliedOn,
  awaitLeader,
  commitEverywhere,
  currentLeader,
  ELECTION_TICKS_MAX,
  entryAt,
  others,
  proposeOk,
  scenario,
} from './scenario-helpers.js';

/**
 * The Raft paper's Figure 8 (§5.4.2), scripted: an entry of an earlier term
 * that sits on a majority must not be committed by counting replicas, because
 * a member with a later-term entry at the same index can still be elected
 * and overwrite it.
 */
describe.each([1, 2, 3, 4])('Figure 8, seed %i', (seed) => {
  it('a previous-term entry on a majority is not committed until an entry of the current term is', () => {
    const sim = scenario(seed, 5, { snapshotEvery: 0 });
    commitEverywhere(sim, 'base');
    // (a) Leader A appends X in its term, but only B receives it.
    const a = currentLeader(sim) as string;
    const [b] = others(sim, a) as [string];
    sim.split([a, b]);
    const k = proposeOk(sim, a, 'X');
    const termA = sim.status(a)?.term ?? 0;
    expect(sim.runUntil(() => entryAt(sim, b, k)?.term === termA, { ticksMax: 20 })).toBe(true);
    // (b) The other side elects L; L's no-op (index k, later term) never leaves it.
    const rest = others(sim, a, b);
    const l = awaitLeader(sim, rest);
    sim.isolate(l);
    const termL = sim.status(l)?.term ?? 0;
    expect(entryAt(sim, l, k)).toMatchObject({ type: 'noop', term: termL });
    // (c) A or B leads again; its own-term entries are stripped from every append,
    // so X reaches a majority while no entry of the new term does.
    sim.network.setInterceptor((m: Message) =>
      m.type === 'append' ? { ...m, entries: m.entries.filter((e) => e.term <= termL) } : m,
    );
    sim.heal();
    sim.isolate(l);
    const n = awaitLeader(sim, [a, b]);
    const holdsX = (): string[] => sim.ids.filter((id) => entryAt(sim, id, k)?.term === termA);
    expect(sim.runUntil(() => holdsX().length >= 4, { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
    sim.runFor(3 * sim.options.electionTicks);
    expect(currentLeader(sim, [a, b])).toBe(n);
    for (const id of sim.ids)
      expect(sim.status(id)?.commitIndex, `${id} committed X by counting`).toBeLessThan(k);
    // (d) N crashes; L comes back and may be elected with its later-term entry at k,
    // overwriting X — allowed, since X was never committed. The checkers watch every step.
    sim.crash(n);
    sim.network.setInterceptor(undefined);
    sim.heal();
    const last = commitEverywhere(sim, 'after', others(sim, n));
    sim.restart(n);
    expect(sim.runUntil(() => appliedOn(sim, last), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
    const atK = sim.checkers.apply.appliedAt(k)?.termKey;
    expect([`${termA}|cmd:X`, `${termL}|noop`]).toContain(atK);
  });
});
