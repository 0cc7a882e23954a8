import type { MemberId } from '../../raft/types.js';
import type { Rng } from '../rng.js';
import type { KvWorkload, OpOutcome } from './kv-workload.js';
import type { RuntimeSim } from './runtime-sim.js';

/** What a probe may drive: the simulation, the workload's clients, and the scenario's bookkeeping. */
export interface ProbeContext {
  readonly sim: RuntimeSim;
  readonly workload: KvWorkload;
  readonly ids: readonly MemberId[];
  /** Members crashed and not restarted; a probe may crash and restart members, and keeps this up to date. */
  readonly down: Set<MemberId>;
  readonly electionTimeoutMs: readonly [number, number];
  readonly note: (what: string) => void;
}

/** The probes; runProbe picks one at random (the lease edge, which needs extreme clocks to bite, twice as often). */
const PROBES = [
  staleReadAfterCut,
  staleReadFromDeafLeader,
  staleReadAfterPause,
  ackedWriteOnSlowDisk,
  leaseEdge,
  leaseEdge,
] as const;

/**
 * Targeted fault sequences with client operations placed where a broken
 * write path would show — the random schedule alone rarely lines them up:
 * - a leader cut off, stalled, or deaf (it hears no one, after handing
 *   leadership over) while the others elect a new one and acknowledge a
 *   write; then a read on the old leader (one served without confirming
 *   leadership returns the overwritten value);
 * - a write acknowledged while a follower's disk is slow, that follower
 *   crashing with its writes in flight, then the leader (an append
 *   acknowledged before it was durable loses an acknowledged write);
 * - the leader lease at its edge: leadership moved to the slowest clock, the
 *   fastest one the only follower still hearing it, another already
 *   campaigning, then the leader cut off — the quickest possible successor,
 *   against a lease longer than the followers' vote refusal.
 * Every choice comes from `rng`.
 */
export async function runProbe(ctx: ProbeContext, rng: Rng, leader: MemberId): Promise<void> {
  const followers = ctx.ids.filter((id) => id !== leader && !ctx.down.has(id));
  if (followers.length === 0) return;
  const probe = rng.pick(PROBES);
  await probe(ctx, rng, leader, followers);
}

async function staleReadAfterCut(
  ctx: ProbeContext,
  rng: Rng,
  old: MemberId,
  others: MemberId[],
): Promise<void> {
  ctx.sim.partition([old], others);
  ctx.note(`probe: cut leader ${old} off, then read on it after a write elsewhere`);
  const key = rng.pick(ctx.workload.keys);
  if (await writeThroughNewLeader(ctx, old, key, 3 * ctx.electionTimeoutMs[1])) {
    void ctx.workload.run('probe', old, key, { op: 'read' });
    void ctx.workload.run('probe', rng.pick(others), key, { op: 'read' });
  }
  await ctx.sim.runUntil(ctx.sim.nowMs + rng.real(0, ctx.electionTimeoutMs[0]));
  if (rng.chance(0.5)) ctx.sim.heal();
}

async function staleReadFromDeafLeader(
  ctx: ProbeContext,
  rng: Rng,
  old: MemberId,
  others: MemberId[],
): Promise<void> {
  // It still reaches the others (its TimeoutNow too), but hears nothing back: not the new leader's
  // votes or appends, nor the refusals of its own heartbeats. Only CheckQuorum ends its reign.
  for (const id of others) ctx.sim.cutOneWay(id, old);
  const to = ctx.sim.loop(old)?.transferLeadership();
  ctx.note(
    `probe: leader ${old} hears no one, hands over to ${to ?? 'nobody'}; read on it after a write there`,
  );
  const key = rng.pick(ctx.workload.keys);
  if (await writeThroughNewLeader(ctx, old, key, 2 * ctx.electionTimeoutMs[0])) {
    void ctx.workload.run('probe', old, key, { op: 'read' });
  }
  await ctx.sim.runUntil(ctx.sim.nowMs + rng.real(0, ctx.electionTimeoutMs[0]));
  if (rng.chance(0.5)) ctx.sim.heal();
}

async function staleReadAfterPause(ctx: ProbeContext, rng: Rng, old: MemberId): Promise<void> {
  const ms = rng.real(1.1, 2) * ctx.electionTimeoutMs[1];
  ctx.sim.pause(old, ms);
  const resumeMs = ctx.sim.nowMs + ms;
  ctx.note(`probe: pause leader ${old} ${ms.toFixed(1)} ms, then read on it after a write elsewhere`);
  const key = rng.pick(ctx.workload.keys);
  if (await writeThroughNewLeader(ctx, old, key, ms)) {
    // Runs when the old leader resumes: its own client code waited out the stall too.
    void ctx.workload.run('probe', old, key, { op: 'read' });
  }
  await ctx.sim.runUntil(Math.max(ctx.sim.nowMs, resumeMs) + rng.real(1, 50));
}

async function ackedWriteOnSlowDisk(
  ctx: ProbeContext,
  rng: Rng,
  leader: MemberId,
  followers: MemberId[],
): Promise<void> {
  // The leader commits with the slow followers' acknowledgements alone; the lagging ones never get the entry.
  const quorum = Math.floor(ctx.ids.length / 2) + 1;
  if (ctx.down.size > 0 || followers.length < quorum) return;
  const shuffled = rng.shuffle(followers);
  const slow = shuffled.slice(0, quorum - 1);
  const lagging = shuffled.slice(quorum - 1);
  const diskMs = rng.real(20, 200);
  ctx.note(
    `probe: ${lagging.join(', ')} cut off from leader ${leader}, slow disks ${slow.join(', ')} ${diskMs.toFixed(0)} ms, ` +
      `write, crash ${slow.join(', ')} (restarted at once), then ${leader}`,
  );
  for (const id of lagging) ctx.sim.cutOneWay(leader, id);
  for (const id of slow) ctx.sim.slowDisk(id, diskMs);
  const key = rng.pick(ctx.workload.keys);
  const value = ctx.workload.newValue('probe');
  await settle(ctx, ctx.workload.run('probe', leader, key, { op: 'write', value }), 2 * diskMs + 50);
  // Their writes in flight die with them: an acknowledgement sent before its write was durable is now a lie.
  for (const id of slow) {
    ctx.sim.crash(id);
    ctx.sim.slowDisk(id, 0);
    await ctx.sim.start(id);
  }
  ctx.sim.crash(leader);
  ctx.down.add(leader);
  if (rng.chance(0.5)) ctx.sim.heal();
  await ctx.sim.runUntil(ctx.sim.nowMs + rng.real(1, 2) * ctx.electionTimeoutMs[1]);
}

/** Lease-edge trials per probe. */
const LEASE_EDGE_TRIALS = 3;

/**
 * The quickest successor the lease must outlast: the leader on the slowest
 * clock, its lease quorum the fastest clocks (whose vote refusal ends
 * first), and a candidate campaigning all along whose requests wait on a
 * stalled link — released, give or take a tick, when the refusal that began
 * with the leader's last message ends, once the leader is cut off.
 */
async function leaseEdge(ctx: ProbeContext, rng: Rng, first: MemberId): Promise<void> {
  const { sim } = ctx;
  const { tickMs, electionTicks } = sim.options;
  const electionMaxMs = ctx.electionTimeoutMs[1];
  let leader = first;
  for (let trial = 0; trial < LEASE_EDGE_TRIALS; trial++) {
    const up = ctx.ids.filter((id) => !ctx.down.has(id));
    const quorum = Math.floor(ctx.ids.length / 2) + 1;
    if (up.length < quorum + 1) return;
    const byRate = [...up].sort((a, b) => sim.clockRate(a) - sim.clockRate(b));
    if (byRate[0] !== leader) {
      sim.loop(leader)?.transferLeadership(byRate[0]);
      if (!(await sim.runUntilTrue(() => sim.validHolders()[0] === byRate[0], electionMaxMs))) return;
      leader = byRate[0]!;
    }
    const sticky = byRate.slice(-(quorum - 1));
    const candidate = byRate.find((id) => id !== leader && !sticky.includes(id))!;
    // The candidate's log must stay as long as the others' (or they refuse it): no writes meanwhile.
    ctx.workload.setQuiet(true);
    const lastIndex = () => sim.loop(leader)?.status().lastIndex;
    const caughtUp = () =>
      ctx.workload.idle && up.every((id) => sim.loop(id)?.status().lastIndex === lastIndex());
    if (!(await sim.runUntilTrue(caughtUp, electionMaxMs))) {
      ctx.workload.setQuiet(false);
      return;
    }
    sim.partition([leader], [candidate]);
    for (const id of sticky) sim.hold(candidate, id);
    ctx.note(
      `probe: lease edge, leader ${leader} (slowest clock) with ${sticky.join(', ')} (fastest); ${candidate} campaigns`,
    );
    await sim.runUntil(sim.nowMs + rng.real(1.2, 2) * electionMaxMs);
    // A read makes the leader send a round now; the cut comes once the sticky followers acknowledged it.
    const acked = sticky.map((id) => sim.deliveredCount(id, leader));
    void ctx.workload.run('probe', leader, rng.pick(ctx.workload.keys), { op: 'read' });
    await sim.runUntilTrue(() => sticky.every((id, i) => sim.deliveredCount(id, leader) > acked[i]!), 20);
    sim.partition(
      [leader],
      up.filter((id) => id !== leader),
    );
    await sim.runUntil(sim.nowMs + 20); // what was already on its way from the leader arrives
    // Each refuses votes for electionTicks of its own ticks after the leader's last message (the first may come at once).
    const ticks = electionTicks - 1 + rng.real(0, 1.2);
    const releaseMs = Math.max(
      ...sticky.map((id) => sim.lastSteppedMs(leader, id) + (ticks * tickMs) / sim.clockRate(id)),
    );
    await sim.runUntil(Math.max(sim.nowMs, releaseMs));
    for (const id of sticky) sim.release(candidate, id);
    ctx.workload.setQuiet(false);
    const successor = () => ctx.ids.find((id) => id !== leader && sim.loop(id)?.status().role === 'leader');
    await sim.runUntilTrue(() => successor() !== undefined, 3 * electionMaxMs);
    sim.heal();
    if (!(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3 * electionMaxMs))) return;
    leader = sim.validHolders()[0]!;
  }
}

/** Waits (up to `budgetMs`) for a leader other than `old`, then writes `key` through it; true once acknowledged. */
async function writeThroughNewLeader(
  ctx: ProbeContext,
  old: MemberId,
  key: string,
  budgetMs: number,
): Promise<boolean> {
  const successor = () => ctx.ids.find((id) => id !== old && ctx.sim.loop(id)?.status().role === 'leader');
  if (!(await ctx.sim.runUntilTrue(() => successor() !== undefined, budgetMs))) return false;
  const value = ctx.workload.newValue('probe');
  return (
    (await settle(ctx, ctx.workload.run('probe', successor()!, key, { op: 'write', value }), budgetMs)) ===
    'ok'
  );
}

/** Runs the simulation until `op` settles or `budgetMs` passes. */
async function settle(
  ctx: ProbeContext,
  op: Promise<OpOutcome>,
  budgetMs: number,
): Promise<OpOutcome['outcome'] | undefined> {
  let outcome: OpOutcome['outcome'] | undefined;
  void op.then((o) => (outcome = o.outcome));
  await ctx.sim.runUntilTrue(() => outcome !== undefined, budgetMs);
  return outcome;
}
