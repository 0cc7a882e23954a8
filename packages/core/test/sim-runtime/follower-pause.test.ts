import { describe, expect, it } from 'vitest';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';

const three = ['n1', 'n2', 'n3'];

/**
 * A follower F stalls (a GC pause) and, when it resumes, steps the heartbeats
 * that arrived meanwhile before its tick timer fires (Node does this when the
 * stall was inside an I/O callback). Meanwhile a third member C, cut off from
 * the leader, keeps asking for pre-votes; right after F acknowledges, the
 * leader is cut off from everyone. F must count its contact with the leader
 * at the time it really heard it, or it grants C a vote while the old
 * leader's token is still valid. Returns '' or the checker's error (which
 * names the seed).
 */
async function followerPause(seed: number, pauseMs: number, offsetMs: number): Promise<string> {
  const sim = new RuntimeSim({ seed, members: three, afterPause: 'io-first' });
  for (const id of three) await sim.start(id);
  if (!(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000)))
    return `seed=${seed}: no leader`;
  const leader = sim.validHolders()[0]!;
  const [f, c] = three.filter((id) => id !== leader) as [string, string];
  sim.partition([leader], [c]);
  await sim.runUntil(sim.nowMs + 700 + offsetMs);
  sim.pause(f, pauseMs);
  await sim.runUntil(sim.nowMs + pauseMs + 3);
  sim.partition([leader], [f]);
  try {
    await sim.runUntil(sim.nowMs + 1500); // throws on two valid tokens
  } catch (error) {
    return String((error as Error).message);
  }
  return '';
}

describe('the production runtime on virtual time: a follower pause', () => {
  it.each([80, 100, 250])(
    'a follower that steps messages before ticks after a %i ms stall never helps elect a leader inside the old lease',
    async (pauseMs) => {
      const failures: string[] = [];
      for (let seed = 1; seed <= 10; seed++) {
        for (const offsetMs of [0, 100, 200, 300]) {
          const failure = await followerPause(seed, pauseMs, offsetMs);
          if (failure) failures.push(`offset ${offsetMs} ms: ${failure}`);
        }
      }
      expect(failures).toEqual([]);
    },
  );
});
