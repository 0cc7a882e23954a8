import { describe, expect, it } from 'vitest';
import type { ConfigChange, Message } from '../../src/raft/types.js';
import type { Simulator } from '../../src/sim/index.js';
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

// Scripted scenarios in the spirit of the classic Raft lab suites. Every
// simulator event is also checked by the invariant checkers, so each scenario
// fails on a safety violation as well as on its own assertions. Each runs for
// a few seeds: the seed also draws the timing profile (heartbeat, election
// spread, clock drift, network and disk speed).
const SEEDS = [1, 2, 3] as const;

/** Proposes a membership change on `id`, retrying while an earlier one is still pending; returns its index. */
function proposeConfigOk(sim: Simulator, id: string, change: ConfigChange): number {
  for (let attempt = 0; attempt < ELECTION_TICKS_MAX; attempt++) {
    const result = sim.proposeConfigChange(id, change);
    if (result?.ok) return result.index;
    expect(result).toEqual({ ok: false, reason: 'configPending' });
    sim.runFor(1);
  }
  throw new Error(`${change.op} ${change.id} refused for ${ELECTION_TICKS_MAX} ticks`);
}

describe.each(SEEDS)('scenarios, seed %i', (seed) => {
  it('initial election: one leader, agreed on by all, stable on a calm network', () => {
    const sim = scenario(seed, 3);
    const leader = awaitLeader(sim);
    const term = sim.status(leader)?.term;
    sim.runUntil(() => sim.ids.every((id) => sim.status(id)?.leaderId === leader), { ticksMax: 20 });
    for (const id of sim.ids) expect(sim.status(id)).toMatchObject({ term, leaderId: leader });
    sim.runFor(200);
    expect(currentLeader(sim)).toBe(leader);
    expect(sim.status(leader)?.term).toBe(term);
  });

  it('re-election after leader failure; an old leader rejoining does not disrupt; no leader without a quorum', () => {
    const sim = scenario(seed, 3);
    const first = awaitLeader(sim);
    const firstTerm = sim.status(first)?.term ?? 0;
    sim.crash(first);
    const second = awaitLeader(sim, others(sim, first));
    expect(sim.status(second)?.term).toBeGreaterThan(firstTerm);
    sim.restart(first);
    sim.runFor(100);
    expect(currentLeader(sim)).toBe(second);
    const [follower] = others(sim, second) as [string];
    sim.crash(second);
    sim.crash(follower);
    sim.runFor(100);
    expect(currentLeader(sim)).toBeUndefined();
    sim.restart(follower);
    awaitLeader(sim);
  });

  it('many elections under churn: 5 members, two crashed at a time, always a leader again', () => {
    const sim = scenario(seed, 5);
    awaitLeader(sim);
    for (let round = 0; round < 8; round++) {
      const down = [sim.ids[(round + seed) % 5], sim.ids[(round * 2 + 1) % 5]].filter(
        (id, i, all): id is string => id !== undefined && all.indexOf(id) === i,
      );
      for (const id of down) sim.crash(id);
      awaitLeader(sim, others(sim, ...down));
      for (const id of down) sim.restart(id);
      sim.runFor(5);
    }
    commitEverywhere(sim, 'after-churn');
  });

  it('agreement despite a failed follower, which catches up when it returns', () => {
    const sim = scenario(seed, 3);
    commitEverywhere(sim, 'first');
    const leader = currentLeader(sim) as string;
    const [follower] = others(sim, leader) as [string];
    sim.crash(follower);
    const up = others(sim, follower);
    const second = commitEverywhere(sim, 'second', up);
    const third = commitEverywhere(sim, 'third', up);
    expect(third).toBeGreaterThan(second);
    sim.restart(follower);
    expect(sim.runUntil(() => appliedOn(sim, third), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
  });

  it('no agreement without a quorum; the leader steps down (CheckQuorum); agreement resumes when it is back', () => {
    const sim = scenario(seed, 5);
    commitEverywhere(sim, 'before');
    const leader = currentLeader(sim) as string;
    const down = others(sim, leader).slice(0, 3);
    for (const id of down) sim.crash(id);
    const index = proposeOk(sim, leader, 'orphan');
    sim.runFor(3 * sim.options.electionTicks);
    for (const id of sim.ids.filter((x) => sim.isUp(x))) {
      expect(sim.status(id)?.commitIndex).toBeLessThan(index);
    }
    expect(sim.checkers.apply.appliedAt(index)).toBeUndefined();
    expect(sim.status(leader)?.role).not.toBe('leader');
    for (const id of down) sim.restart(id);
    commitEverywhere(sim, 'after');
  });

  it('concurrent proposals get consecutive indexes and are applied in that order everywhere', () => {
    const sim = scenario(seed, 3);
    commitEverywhere(sim, 'warm-up');
    const leader = currentLeader(sim) as string;
    const indexes = Array.from({ length: 20 }, (_, i) => proposeOk(sim, leader, `c${i}`));
    expect(indexes).toEqual(indexes.map((_, i) => (indexes[0] ?? 0) + i));
    const last = indexes[indexes.length - 1] ?? 0;
    expect(sim.runUntil(() => appliedOn(sim, last), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
    indexes.forEach((index, i) => {
      expect(sim.client.ackedIndex(`c${i}`)).toBe(index);
      expect(sim.checkers.apply.appliedAt(index)?.termKey).toMatch(new RegExp(`\\|cmd:c${i}$`));
    });
  });

  it('rejoin of a partitioned leader: its uncommitted entries give way to the new leader’s', () => {
    const sim = scenario(seed, 3);
    commitEverywhere(sim, 'base');
    const old = currentLeader(sim) as string;
    sim.isolate(old);
    const orphans = [0, 1, 2].map((i) => proposeOk(sim, old, `orphan${i}`));
    const fresh = awaitLeader(sim, others(sim, old));
    const committed = commitEverywhere(sim, 'majority', others(sim, old));
    sim.heal();
    expect(sim.runUntil(() => appliedOn(sim, committed), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
    expect(sim.status(old)?.role).not.toBe('leader');
    expect(currentLeader(sim)).toBe(fresh);
    for (let i = 0; i < orphans.length; i++) expect(sim.client.ackedIndex(`orphan${i}`)).toBeUndefined();
    expect(entryAt(sim, old, committed)).toEqual(entryAt(sim, fresh, committed));
  });

  it('fast backup over long divergent logs: a few rejections, not one per entry', () => {
    const sim = scenario(seed, 5, { snapshotEvery: 0 });
    commitEverywhere(sim, 'base');
    const old = currentLeader(sim) as string;
    const [buddy] = others(sim, old) as [string];
    sim.split([old, buddy]);
    for (let i = 0; i < 50; i++) proposeOk(sim, old, `stale${i}`);
    sim.runFor(5);
    const rest = others(sim, old, buddy);
    const fresh = awaitLeader(sim, rest);
    for (let i = 0; i < 50; i++) proposeOk(sim, fresh, `good${i}`);
    const last = commitEverywhere(sim, 'good-end', rest);
    // A new leader starts by assuming every follower matches its whole log, so it must
    // walk back over the 50 divergent entries of `old` and `buddy` when they return.
    sim.crash(fresh);
    let rejections = 0;
    sim.network.setInterceptor((m: Message) => {
      if (m.type === 'appendResp' && m.reject && (m.from === old || m.from === buddy)) rejections++;
      return m;
    });
    sim.heal();
    const survivors = others(sim, fresh);
    expect(awaitLeader(sim, others(sim, old, buddy, fresh))).toBeDefined();
    expect(sim.runUntil(() => appliedOn(sim, last, survivors), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
    // Fast backtracking skips the whole divergent term at once instead of one entry per round trip.
    expect(rejections).toBeGreaterThan(0);
    expect(rejections).toBeLessThanOrEqual(8);
    sim.restart(fresh);
  });

  it('persistence across crashes: every member crashed and restarted, repeatedly, nothing acknowledged is lost', () => {
    const sim = scenario(seed, 3);
    const acked: number[] = [];
    for (let round = 0; round < 5; round++) {
      acked.push(commitEverywhere(sim, `round${round}`));
      const terms = sim.ids.map((id) => sim.status(id)?.term ?? 0);
      const victims = round % 2 === 0 ? sim.ids : [sim.ids[round % 3] as string];
      for (const id of victims) {
        if (round === 3) sim.armCrashDuringSync(id);
        else sim.crash(id);
      }
      // An armed member crashes inside its next fsync: the next proposal makes it write.
      if (round === 3) commitEverywhereOrCrash(sim, victims[0] as string);
      sim.runFor(2);
      for (const id of sim.ids) sim.restart(id);
      sim.ids.forEach((id, i) => {
        expect(sim.status(id)?.term).toBeGreaterThanOrEqual(terms[i] ?? 0);
      });
    }
    const last = commitEverywhere(sim, 'final');
    expect(appliedOn(sim, last)).toBe(true);
    acked.forEach((index, round) => {
      expect(sim.checkers.apply.appliedAt(index)?.termKey).toMatch(new RegExp(`\\|cmd:round${round}#\\d+$`));
    });
  });

  function commitEverywhereOrCrash(sim: ReturnType<typeof scenario>, victim: string): void {
    const leader = awaitLeader(sim);
    sim.propose(leader, 'poke');
    expect(sim.runUntil(() => !sim.isUp(victim), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
  }

  it('membership changes: a removed member stops voting, a re-added one catches up, a removed leader steps down', () => {
    const sim = scenario(seed, 5);
    commitEverywhere(sim, 'base');
    const leader = currentLeader(sim) as string;
    const [gone] = others(sim, leader) as [string];
    const removeAt = proposeConfigOk(sim, leader, { op: 'removeMember', id: gone });
    const remaining = others(sim, gone);
    expect(sim.runUntil(() => appliedOn(sim, removeAt, remaining), { ticksMax: ELECTION_TICKS_MAX })).toBe(
      true,
    );
    expect(sim.config(leader)?.voters).not.toContain(gone);
    // With 4 voters left, 3 make a quorum: crash one more and agreement continues.
    sim.crash(remaining.find((id) => id !== leader) as string);
    commitEverywhere(
      sim,
      'four-voters',
      sim.ids.filter((id) => id !== gone && sim.isUp(id)),
    );
    for (const id of sim.ids) sim.restart(id);
    const back = proposeConfigOk(sim, currentLeader(sim) ?? awaitLeader(sim), { op: 'addVoter', id: gone });
    expect(sim.runUntil(() => appliedOn(sim, back), { ticksMax: ELECTION_TICKS_MAX })).toBe(true);
    commitEverywhere(sim, 'all-back');
    // The leader removes itself: once the change commits it steps down and the others elect a new leader.
    const self = currentLeader(sim) as string;
    const selfAt = proposeConfigOk(sim, self, { op: 'removeMember', id: self });
    const successor = awaitLeader(sim, others(sim, self));
    expect(
      sim.runUntil(() => appliedOn(sim, selfAt, others(sim, self)), { ticksMax: ELECTION_TICKS_MAX }),
    ).toBe(true);
    expect(sim.status(self)?.role).not.toBe('leader');
    commitEverywhere(sim, 'without-old-leader', others(sim, self));
    expect(sim.config(successor)?.voters).not.toContain(self);
  });

  it('a member restarted on another member’s disk (swapped mounts) is refused; on its own disk it rejoins', () => {
    const sim = scenario(seed, 3);
    const leader = awaitLeader(sim);
    commitEverywhere(sim, 'before');
    const [a, b] = others(sim, leader) as [string, string];
    sim.crash(a);
    sim.crash(b);
    sim.swapDisks(a, b);
    for (const id of [a, b]) {
      expect(() => sim.restart(id)).toThrow(
        expect.objectContaining({ code: 'BATON_CONFIG', field: 'dataDir' }),
      );
      expect(sim.isUp(id)).toBe(false);
    }
    sim.swapDisks(a, b);
    sim.restart(a);
    sim.restart(b);
    commitEverywhere(sim, 'after');
  });

  it('a member whose disk lost an entry it acknowledged fails the run with acked-entries-kept', () => {
    const sim = scenario(seed, 3);
    const leader = awaitLeader(sim);
    commitEverywhere(sim, 'before');
    const [victim] = others(sim, leader) as [string];
    const acked = proposeOk(sim, leader, 'lost-on-the-victim');
    sim.runUntil(() => appliedOn(sim, acked), { ticksMax: ELECTION_TICKS_MAX });
    sim.crash(victim);
    sim.member(victim).disk.loseDurableTail(1);
    sim.restart(victim);
    let caught: unknown;
    try {
      sim.runFor(ELECTION_TICKS_MAX);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ invariant: 'acked-entries-kept' });
  });

  it('agreement on an unreliable network: loss, duplication and reordering', () => {
    const sim = scenario(seed, 5, {
      network: {
        dropRate: 0.1,
        duplicateRate: 0.05,
        delayMinUs: 100,
        delayMaxUs: 3000,
        slowRate: 0.1,
        slowDelayMaxUs: 30_000,
      },
    });
    let last = 0;
    for (let i = 0; i < 15; i++) {
      const index = commitEverywhere(sim, `u${i}`, sim.ids, 600);
      expect(index).toBeGreaterThan(last);
      last = index;
    }
    expect(sim.network.stats.dropped).toBeGreaterThan(0);
    expect(sim.network.stats.duplicated).toBeGreaterThan(0);
  });
});
