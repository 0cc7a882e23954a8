import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/errors.js';
import { Rng } from '../../src/sim/rng.js';
import { KvWorkload, type OpOutcome, writeOutcomeOnError } from '../../src/sim/runtime/kv-workload.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';
import { settleAndCheckWritePath } from '../../src/sim/runtime/write-path-check.js';

const three = ['n1', 'n2', 'n3'];

/** A healthy cluster with a leader, and a workload on it whose clients have not started. */
async function cluster(seed: number): Promise<{ sim: RuntimeSim; workload: KvWorkload; leader: string }> {
  const sim = new RuntimeSim({ seed, members: three });
  for (const id of three) await sim.start(id);
  expect(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000)).toBe(true);
  const workload = new KvWorkload(sim, Rng.fromSeed(seed), {
    members: three,
    clients: 2,
    keys: 1,
    timeoutMs: 1000,
    thinkMs: [1, 20],
    readShare: 0.5,
  });
  return { sim, workload, leader: sim.validHolders()[0]! };
}

/** Runs one operation to its end on the virtual clock. */
async function run(sim: RuntimeSim, op: Promise<OpOutcome>): Promise<OpOutcome | undefined> {
  let outcome: OpOutcome | undefined;
  void op.then((o) => (outcome = o));
  await sim.runUntilTrue(() => outcome !== undefined, 5000);
  return outcome;
}

describe('the write path on virtual time: the production Forwarder over simulated links', () => {
  it('a write on a follower is forwarded, applied everywhere, and read back on every member', async () => {
    const { sim, workload, leader } = await cluster(7);
    const follower = three.find((id) => id !== leader)!;
    expect(await run(sim, workload.run('t', follower, 'k0', { op: 'write', value: 'v1' }))).toEqual({
      outcome: 'ok',
    });
    // Read-your-writes on the member that forwarded it (DESIGN.md §3).
    expect(sim.kv(follower).get('k0')).toBe('v1');
    for (const id of three) {
      expect(await run(sim, workload.run('t', id, 'k0', { op: 'read' }))).toEqual({ outcome: 'ok' });
    }
    expect(workload.history.completed().map((op) => op.output)).toEqual([null, 'v1', 'v1', 'v1']);
  });

  it('what a failed write says about its effect', () => {
    expect(writeOutcomeOnError(new BatonError('BATON_NOT_LEADER', 'x'))).toBe('failed');
    expect(writeOutcomeOnError(new BatonError('BATON_TOO_LARGE', 'x'))).toBe('failed');
    expect(writeOutcomeOnError(new BatonError('BATON_UNAVAILABLE', 'x'))).toBe('unknown');
    expect(writeOutcomeOnError(new BatonError('BATON_STOPPED', 'x'))).toBe('unknown');
    expect(writeOutcomeOnError(new Error('boom'))).toBe('unknown');
  });

  it('the final checks pass on a healthy run of clients', async () => {
    const { sim, workload } = await cluster(8);
    workload.start();
    await sim.runUntil(sim.nowMs + 2000);
    const result = await settleAndCheckWritePath(sim, workload, three, 5000);
    expect(result).toMatchObject({ stats: { unknown: 0 } });
    if ('stats' in result) expect(result.stats.ackedWrites).toBeGreaterThan(10);
  });

  it('the final checks catch an acknowledged write that no member applied', async () => {
    const { sim, workload } = await cluster(9);
    const h = workload.history.invoke('k0', { op: 'write', value: 'ghost' }, 'planted');
    workload.history.ok(h, null);
    const result = await settleAndCheckWritePath(sim, workload, three, 2000);
    expect(result).toMatchObject({
      failure: expect.stringMatching(/^seed=0x9: acknowledged writes lost: ghost on n1/),
    });
  });

  it('the final checks catch a stale read', async () => {
    const { sim, workload, leader } = await cluster(10);
    await run(sim, workload.run('t', leader, 'k0', { op: 'write', value: 'old' }));
    await run(sim, workload.run('t', leader, 'k0', { op: 'write', value: 'new' }));
    const h = workload.history.invoke('k0', { op: 'read' }, 'planted');
    workload.history.ok(h, 'old');
    const result = await settleAndCheckWritePath(sim, workload, three, 2000);
    expect(result).toMatchObject({ failure: expect.stringContaining('not linearizable') });
  });
});
