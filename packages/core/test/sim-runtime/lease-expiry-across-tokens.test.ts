import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import type { SimGrant } from '../../src/sim/runtime/held-grants.js';
import { LockWorkload } from '../../src/sim/runtime/lock-workload.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';

const three = ['n1', 'n2', 'n3'];
const TTL_MS = 2000;

/**
 * The leader L proposes the expiry of the holder H's lease (H's keep-alives
 * are held on their way to L), but the entry cannot commit yet (L's own
 * disk is slow). Before it does, L's leadership token lapses (the waiter W's
 * acknowledgements are held just past the leader lease) and comes back in
 * the same term: L leads again with the expiry still in its log. Then H's
 * held keep-alive reaches L and is answered; H, stalled past its
 * deadline, steps that answer before its timers (Node does, after a stall
 * inside an I/O callback). When the expiry commits, W is granted the lock
 * and H's grant must no longer be valid. Returns '' or what went wrong
 * (the checks throw on two valid holders of one lock).
 */
async function expiryAcrossTokens(seed: number): Promise<string> {
  const sim = new RuntimeSim({ seed, members: three, afterPause: 'io-first' });
  for (const id of three) await sim.start(id);
  if (!(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000))) return 'no leader';
  const leader = sim.validHolders()[0]!;
  const [holder, waiter] = three.filter((id) => id !== leader) as [string, string];
  const locks = new LockWorkload(sim, Rng.fromSeed(seed).fork('locks'), {
    members: three,
    ttlMs: TTL_MS,
    lockNames: ['x'],
    electionNames: [],
    lockWorkers: 0,
    candidates: 0,
    leaseWorkers: 0,
    instancesPerMember: 1,
    thinkMs: [1, 2],
    waitMs: [20_000, 20_000],
    holdMs: [1, 2],
  });
  const rng = Rng.fromSeed(seed).fork('calls');
  const acquire = (member: string) => {
    const call: { grant: SimGrant | undefined; settled: boolean } = { grant: undefined, settled: false };
    void locks.acquire(locks.client(member, 'x')!, 'lock', 'x', 'wait', rng, 20_000).then((grant) => {
      call.grant = grant;
      call.settled = true;
    });
    return call;
  };
  const held = acquire(holder);
  await sim.runUntilTrue(() => held.settled, 3000);
  if (!held.grant) return 'the holder was not granted the lock';
  const grant = held.grant;
  const waiting = acquire(waiter);
  await sim.runUntilTrue(() => (sim.coordinationState(waiter)?.waiters('lock', 'x').length ?? 0) > 0, 1000);
  if (waiting.settled) return 'the waiter was not queued';

  // Right after a keep-alive of the holder's was acknowledged, its next ones are held.
  const acked = grant.lease.deadline;
  await sim.runUntilTrue(() => grant.lease.deadline > acked, TTL_MS);
  sim.hold(holder, leader);
  sim.slowDisk(leader, 500);
  const keeper = sim.services(leader)!.leases.keeper;
  const leaderDeadline = sim.globalMsAt(leader, keeper.deadlineOf(grant.leaseId)!);
  const holderDeadline = sim.globalMsAt(holder, grant.lease.deadline);

  // The holder stalls just before its deadline, with a keep-alive round waiting for its answer.
  await sim.runUntil(holderDeadline - 5);
  sim.pause(holder, leaderDeadline - holderDeadline + 5 + 400);
  // The leader proposes the expiry; the waiter's answers are then held until the leader lease has
  // run out (not an election timeout): the token lapses, and the answers, arriving together, renew it
  // in the same term while the expiry is still uncommitted.
  const lastIndex = sim.loop(leader)!.status().lastIndex;
  await sim.runUntil(leaderDeadline + 1);
  if (!sim.validHolders().includes(leader)) return 'the leader lost its token too early';
  if (sim.loop(leader)!.status().lastIndex !== lastIndex + 1) return 'the leader proposed no expiry';
  sim.hold(waiter, leader);
  await sim.runUntilTrue(() => !sim.validHolders().includes(leader), 400);
  sim.release(waiter, leader);
  await sim.runUntilTrue(() => sim.validHolders().includes(leader), 50);
  if (!sim.validHolders().includes(leader)) return 'the leader did not lead again';
  const { term, commitIndex } = sim.loop(leader)!.status();
  if (commitIndex > lastIndex) return 'the expiry committed before the leader led again';
  // The holder's held keep-alives reach the leader, leading again in the same term; its answers reach
  // the stalled holder, which hears nothing from the leader after them.
  sim.release(holder, leader);
  await sim.runUntil(sim.nowMs + 1);
  sim.cutOneWay(leader, holder);
  try {
    await sim.runUntilTrue(() => waiting.settled, 2 * TTL_MS);
  } catch (error) {
    return `term ${term}: ${String((error as Error).message)}`;
  }
  if (!waiting.grant) return 'the waiter was not granted the lock';
  if (waiting.grant.fencingToken !== lastIndex + 1)
    return `the waiter was granted by ${waiting.grant.fencingToken}`;
  if (grant.valid) return 'the holder still holds the lock';
  return '';
}

describe('the production runtime on virtual time: an expiry proposed before the leader token lapsed', () => {
  it('a lease whose expiry is in the log is not kept alive by its leader leading again in the same term', async () => {
    const outcomes: string[] = [];
    for (let seed = 1; seed <= 5; seed++) outcomes.push(`seed ${seed}: ${await expiryAcrossTokens(seed)}`);
    expect(outcomes).toEqual([1, 2, 3, 4, 5].map((seed) => `seed ${seed}: `));
  });
});
