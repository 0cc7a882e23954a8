import { describe, expect, it } from 'vitest';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';

const three = ['n1', 'n2', 'n3'];
const DISK_MS = 100;

describe('the production runtime on virtual time: applying committed entries', () => {
  it('a committed entry already on disk is applied without waiting for the fsync of newer entries', async () => {
    const sim = new RuntimeSim({ seed: 11, members: three });
    for (const id of three) await sim.start(id);
    expect(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000)).toBe(true);
    const leader = sim.loop(sim.validHolders()[0]!)!;
    sim.slowDisk(leader.id, DISK_MS);

    const t0 = sim.nowMs;
    let firstAppliedAt: number | undefined;
    const first = leader.propose(new Uint8Array([1])).then(() => {
      firstAppliedAt = sim.nowMs;
    });
    // While the first entry's write is on the leader's slow disk, a second
    // proposal arrives: its fsync must not hold back the first one's answer.
    await sim.runUntil(t0 + DISK_MS / 2);
    const second = leader.propose(new Uint8Array([2]));
    await sim.runUntil(t0 + 4 * DISK_MS);
    await Promise.all([first, second]);

    // Committed once the leader's own write (one disk delay) and a follower's
    // acknowledgement are in; applying it after the second write too would
    // take two disk delays.
    expect(firstAppliedAt).toBeDefined();
    expect(firstAppliedAt! - t0).toBeGreaterThanOrEqual(DISK_MS);
    expect(firstAppliedAt! - t0).toBeLessThan(DISK_MS + DISK_MS / 2);
  });
});
