import { describe, expect, it } from 'vitest';
import type { MemberId } from '../../src/raft/types.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';
import { plainCommand } from '../support/commands.js';

const three = ['n1', 'n2', 'n3'];
const DISK_MS = 100;
/** Where in a slow write the crash comes: early, halfway, just before it would be durable. */
const CRASH_POINTS = [0.1, 0.5, 0.9];

/** Runs until one member, none of `down` (a crashed leader's token stays valid until its lease ends), holds a valid token. */
async function electedLeader(sim: RuntimeSim, down: readonly MemberId[] = []): Promise<MemberId> {
  const elected = () => sim.validHolders().length === 1 && !down.includes(sim.validHolders()[0]!);
  expect(await sim.runUntilTrue(elected, 3000), `seed=${sim.opts.seed}: no leader`).toBe(true);
  return sim.validHolders()[0]!;
}

/** Does `id`'s durable log hold the entry (index, term)? */
async function holdsDurably(sim: RuntimeSim, id: MemberId, index: number, term: number): Promise<boolean> {
  const { entries, snapshot } = await sim.durableState(id);
  if (snapshot && snapshot.meta.index >= index) return true;
  return entries.some((e) => e.index === index && e.term === term);
}

describe('the production runtime on virtual time: a member answers only for what is on its disk (DESIGN §2.4)', () => {
  it('a follower that crashes during the fsync of entries it was sent never made the leader acknowledge them', async () => {
    for (let seed = 21; seed < 24; seed++) {
      for (const crashAt of CRASH_POINTS) {
        const label = `seed=${seed} crash at ${crashAt} of the write`;
        const sim = new RuntimeSim({ seed, members: three });
        for (const id of three) await sim.start(id);
        const leaderId = await electedLeader(sim);
        const [slow, other] = three.filter((id) => id !== leaderId) as [MemberId, MemberId];
        const leader = sim.loop(leaderId)!;
        const acknowledged: { index: number; term: number }[] = [];
        const propose = (byte: number): number => {
          const at = leader.append(plainCommand(new Uint8Array([byte])));
          void leader.awaitApplied(at.index, at.term).promise.then(() => acknowledged.push(at));
          return at.index;
        };

        // One proposal every member holds, so the check below is never empty.
        propose(1);
        expect(await sim.runUntilTrue(() => acknowledged.length === 1, 1000), label).toBe(true);

        // Now the leader needs `slow`'s acknowledgement for anything more.
        sim.crash(other);
        sim.slowDisk(slow, DISK_MS);
        const index = propose(2);
        const writing = () => sim.writesInFlight(slow).some((w) => w.entries.some((e) => e.index === index));
        expect(await sim.runUntilTrue(writing, 3 * DISK_MS), label).toBe(true);
        await sim.runUntil(sim.nowMs + DISK_MS * crashAt);
        sim.crash(slow);
        sim.crash(leaderId);

        // The two that lack what the leader had elect a leader of their own.
        sim.slowDisk(slow, 0);
        await sim.start(slow);
        await sim.start(other);
        const next = await electedLeader(sim, [leaderId]);
        for (const { index: i, term } of acknowledged) {
          expect(await holdsDurably(sim, next, i, term), `${label}: index ${i} lost`).toBe(true);
          let copies = 0;
          for (const id of three) if (await holdsDurably(sim, id, i, term)) copies++;
          expect(copies, `${label}: index ${i} durable on a minority`).toBeGreaterThanOrEqual(2);
        }
      }
    }
  });

  it('a voter that crashes during the fsync of its vote never gave that vote: no term gets two leaders', async () => {
    for (let seed = 31; seed < 34; seed++) {
      for (const crashAt of CRASH_POINTS) {
        const label = `seed=${seed} crash at ${crashAt} of the write`;
        const sim = new RuntimeSim({ seed, members: three });
        for (const id of three) await sim.start(id);
        const first = await electedLeader(sim);
        const firstTerm = sim.loop(first)!.status().term;
        const rest = three.filter((id) => id !== first);
        for (const id of rest) sim.slowDisk(id, DISK_MS);
        sim.crash(first);

        // Wait until one of the two is writing a vote, in a new term, for the other.
        let voter: MemberId | undefined;
        let candidate: MemberId | undefined;
        let term = 0;
        const votingForOther = (): boolean => {
          for (const id of rest) {
            for (const w of sim.writesInFlight(id)) {
              const hs = w.hardState;
              if (hs && hs.term > firstTerm && hs.vote !== undefined && hs.vote !== id) {
                [voter, candidate, term] = [id, hs.vote, hs.term];
              }
            }
          }
          return voter !== undefined;
        };
        expect(await sim.runUntilTrue(votingForOther, 3000), label).toBe(true);
        await sim.runUntil(sim.nowMs + DISK_MS * crashAt);
        sim.crash(voter!);

        // Had the vote left before it was durable, the candidate would lead in
        // `term` now while the voter's disk knows nothing of that term.
        const { hardState } = await sim.durableState(voter!);
        if (sim.leaders.leaderOf(term) === candidate) {
          expect(hardState?.term ?? 0, `${label}: vote counted but not durable`).toBeGreaterThanOrEqual(term);
        }

        // End to end: without the candidate, the voter and the first leader
        // elect again; the checker (after every event) throws if anyone else
        // leads in `term`.
        for (const id of three) sim.slowDisk(id, 0);
        sim.crash(candidate!);
        await sim.start(voter!);
        await sim.start(first);
        await electedLeader(sim, [candidate!]);
      }
    }
  });
});
