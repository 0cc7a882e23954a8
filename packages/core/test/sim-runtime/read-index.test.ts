import { describe, expect, it } from 'vitest';
import type { MemberId } from '../../src/raft/types.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';
import { plainCommand } from '../support/commands.js';

const three = ['n1', 'n2', 'n3'];
const READ_TIMEOUT_MS = 1000;
/** Short of the election timeout (300 ms): the cut-off follower still takes the leader for its leader. */
const CUT_MS = 100;
const DISK_MS = 100;
const ENTRIES_WHILE_CUT = 5;

interface ReadOutcome {
  index?: number;
  /** What the reading member's state machine had applied when the read resolved. */
  appliedAtResolve?: number;
  code?: string;
}

function track(sim: RuntimeSim, id: MemberId, read: Promise<number>): ReadOutcome {
  const outcome: ReadOutcome = {};
  read.then(
    (index) => {
      outcome.index = index;
      outcome.appliedAtResolve = sim.appliedIndex(id);
    },
    (error: { code?: string }) => {
      outcome.code = error.code;
    },
  );
  return outcome;
}

/** A served read must not be older than what the leader had committed when it was issued, and must be applied here. */
function expectLinearizable(outcome: ReadOutcome, commitAtIssue: number, label: string): void {
  if (outcome.index === undefined) return;
  expect(outcome.index, `${label}: stale read point`).toBeGreaterThanOrEqual(commitAtIssue);
  expect(
    outcome.appliedAtResolve,
    `${label}: resolved before applying its read point`,
  ).toBeGreaterThanOrEqual(outcome.index);
}

describe('the production runtime on virtual time: ReadIndex on a follower', () => {
  for (const cut of ['both ways', 'leader to follower only'] as const) {
    it(`a follower cut off from the leader (${cut}) never serves a read below the leader's commit index`, async () => {
      for (let seed = 51; seed < 54; seed++) {
        const label = `seed=${seed} cut ${cut}`;
        const sim = new RuntimeSim({ seed, members: three });
        for (const id of three) await sim.start(id);
        expect(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000), label).toBe(true);
        const leaderId = sim.validHolders()[0]!;
        const leader = sim.loop(leaderId)!;
        const follower = three.find((id) => id !== leaderId)!;
        const commit = async (count: number): Promise<number> => {
          let last = { index: 0, term: 0 };
          for (let i = 0; i < count; i++) last = leader.append(plainCommand(new Uint8Array([i])));
          let done = false;
          void leader.awaitApplied(last.index, last.term).promise.then(() => (done = true));
          expect(await sim.runUntilTrue(() => done, 1000), label).toBe(true);
          return last.index;
        };

        const before = await commit(1);
        expect(await sim.runUntilTrue(() => sim.appliedIndex(follower) >= before, 1000), label).toBe(true);

        // The leader commits more through the other follower only.
        if (cut === 'both ways') sim.partition([leaderId], [follower]);
        else sim.cutOneWay(leaderId, follower);
        await commit(ENTRIES_WHILE_CUT);
        const commitAtCut = leader.status().commitIndex;
        expect(sim.appliedIndex(follower), `${label}: follower not behind`).toBeLessThan(commitAtCut);
        const duringCut = track(sim, follower, sim.loop(follower)!.read(READ_TIMEOUT_MS).promise);
        await sim.runUntil(sim.nowMs + CUT_MS);
        // No leader could confirm it: it waits (or fails), it is not served from the stale state.
        expect(duringCut.index, `${label}: served while cut off`).toBeUndefined();

        // Heal, with a slow disk on the follower: the read point arrives long
        // before the follower has caught up to it.
        sim.heal();
        sim.slowDisk(follower, DISK_MS);
        const commitAtHeal = leader.status().commitIndex;
        const afterHeal = track(sim, follower, sim.loop(follower)!.read(READ_TIMEOUT_MS).promise);
        const settled = (o: ReadOutcome) => o.index !== undefined || o.code !== undefined;
        expect(
          await sim.runUntilTrue(() => settled(duringCut) && settled(afterHeal), 2 * READ_TIMEOUT_MS),
          label,
        ).toBe(true);

        expectLinearizable(duringCut, commitAtCut, `${label} (read while cut)`);
        if (duringCut.code !== undefined)
          expect(['BATON_UNAVAILABLE', 'BATON_NOT_LEADER']).toContain(duringCut.code);
        expect(afterHeal.code, label).toBeUndefined();
        expectLinearizable(afterHeal, commitAtHeal, `${label} (read after heal)`);
      }
    });
  }
});
