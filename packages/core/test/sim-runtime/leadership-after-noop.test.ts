import { describe, expect, it } from 'vitest';
import type { MemberId } from '../../src/raft/types.js';
import { RuntimeSim, type TokenRecord } from '../../src/sim/runtime/runtime-sim.js';

const three = ['n1', 'n2', 'n3'];
const DISK_MS = 200;

/** The index of the first entry of `term` in `id`'s durable log: the no-op its leader appended. */
async function firstIndexOfTerm(sim: RuntimeSim, id: MemberId, term: number): Promise<number | undefined> {
  const { entries } = await sim.durableState(id);
  return entries.find((e) => e.term === term)?.index;
}

describe('the production runtime on virtual time: a token comes after the leader applied its no-op', () => {
  it('a new leader with a slow disk gets its token only once the first entry of its term is applied', async () => {
    for (let seed = 41; seed < 45; seed++) {
      const label = `seed=${seed}`;
      const sim = new RuntimeSim({ seed, members: three });
      for (const id of three) await sim.start(id);
      expect(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000), label).toBe(true);
      const first = sim.validHolders()[0]!;
      const target = three.find((id) => id !== first)!;

      // The next leader's own writes are slow and its followers' fast: a
      // quorum acknowledges its heartbeats (the lease) long before its no-op
      // is durable on its own disk, so committed and applied.
      sim.slowDisk(target, DISK_MS);
      sim.loop(first)!.transferLeadership(target);
      let issued: TokenRecord | undefined;
      const gotToken = () => {
        issued = sim.tokens.find((t) => t.member === target);
        return issued !== undefined;
      };
      expect(await sim.runUntilTrue(gotToken, 3000), label).toBe(true);
      const term = issued!.token.term;

      await sim.runUntil(sim.nowMs + 3 * DISK_MS);
      const noop = await firstIndexOfTerm(sim, target, term);
      expect(noop, label).toBeDefined();
      expect(
        issued!.appliedIndexAtIssue,
        `${label}: token before its no-op was applied`,
      ).toBeGreaterThanOrEqual(noop!);
      // status() tells the truth too: entries applied before a Ready's write count at once.
      expect(issued!.statusAppliedIndexAtIssue, `${label}: status().appliedIndex lags`).toBe(
        issued!.appliedIndexAtIssue,
      );
    }
  });
});
