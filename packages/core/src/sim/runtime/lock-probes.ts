import type { MemberId } from '../../raft/types.js';
import type { Rng } from '../rng.js';
import type { SimGrant } from './held-grants.js';
import type { LockWorkload } from './lock-workload.js';
import type { RecipeClient } from './recipe-client.js';
import type { RuntimeSim } from './runtime-sim.js';

/** What a lock probe may drive: the simulation, the lock workload, and the scenario's bookkeeping. */
export interface LockProbeContext {
  readonly sim: RuntimeSim;
  readonly locks: LockWorkload;
  readonly ids: readonly MemberId[];
  /** Members crashed and not restarted (lock probes crash nobody). */
  readonly down: ReadonlySet<MemberId>;
  readonly electionTimeoutMs: readonly [number, number];
  readonly note: (what: string) => void;
}

/** The lock every probe contends for (the workload's clients never use it). */
const PROBE_LOCK = 'probe';

/**
 * Targeted fault sequences around a held lock, where a broken lease shows —
 * the random schedule rarely lines them up:
 * - the holder cut off (or stalled) right after a keep-alive was
 *   acknowledged, its member on the slowest clock and the leader, whose
 *   client waits for the lock, on the fastest: the leader expires the lease
 *   and grants the waiter as early as it may, against a holder whose
 *   deadline must already have passed (the client's drift margin); in a
 *   third of these, the answer to one of its keep-alive rounds is first
 *   held back on the link from the leader (answersHeldThenCutOff);
 * - the leader itself holding the lock, stalled just before its lease's
 *   keep-alive round is due, long enough for a successor to be elected and
 *   to restart the lease's TTL, then cut off as it resumes: its own round,
 *   run before it notices it was deposed, must not be answered by its own
 *   lease keeper (keep-alives only while its leadership token is valid),
 *   or its holder outlives the successor's expiry.
 * Every choice comes from `rng`.
 */
export async function runLockProbe(ctx: LockProbeContext, rng: Rng, leader: MemberId): Promise<void> {
  const up = ctx.ids.filter((id) => !ctx.down.has(id));
  if (up.length < 3) return;
  if (rng.chance(0.5)) await holderCutOffAfterKeepAlive(ctx, rng, leader, up);
  else await deposedLeaderKeepsItsLease(ctx, rng, leader, up);
}

async function holderCutOffAfterKeepAlive(
  ctx: LockProbeContext,
  rng: Rng,
  leader: MemberId,
  up: MemberId[],
): Promise<void> {
  const { sim, locks } = ctx;
  const electionMaxMs = ctx.electionTimeoutMs[1];
  const byRate = [...up].sort((a, b) => sim.clockRate(a) - sim.clockRate(b));
  const slow = byRate[0]!;
  const fast = byRate.at(-1)!;
  if (leader !== fast) {
    sim.loop(leader)?.transferLeadership(fast);
    if (!(await sim.runUntilTrue(() => sim.validHolders()[0] === fast, electionMaxMs))) return;
  }
  const ttlMs = locks.opts.ttlMs;
  const holding = await holdProbeLock(ctx, rng, slow, ttlMs);
  if (!holding) return;
  const waiting = await queueBehind(ctx, rng, fast, ttlMs);
  if (!waiting) return letGo(holding);
  const deadline = holding.grant.lease.deadline;
  await sim.runUntilTrue(() => holding.grant.lease.deadline > deadline, ttlMs);
  // A stream of its own, so that the other variants draw as they did before this one was added.
  const answers = rng.fork('answers-held');
  if (answers.chance(1 / 3))
    return await answersHeldThenCutOff(ctx, answers, holding, waiting, fast, slow, up);
  if (rng.chance(0.5)) {
    sim.partition(
      [slow],
      up.filter((id) => id !== slow),
    );
    ctx.note(`probe: ${slow} (slowest clock) holds lock ${PROBE_LOCK}, cut off right after a keep-alive`);
  } else {
    sim.pause(slow, 1.5 * ttlMs);
    ctx.note(`probe: ${slow} (slowest clock) holds lock ${PROBE_LOCK}, paused right after a keep-alive`);
  }
  await watchOverlap(ctx, holding, waiting, ttlMs);
}

/**
 * The holder's keep-alive answer held back on the way from the leader, then
 * the holder cut off as it arrives, just before its next round: the leader
 * restarted the TTL when the round arrived, so the holder's deadline must
 * count from when it sent that round, not from when the answer came back —
 * else it outlives the leader's expiry and the waiter's grant. The hold
 * stays shorter than an election timeout, so the holder still follows.
 */
async function answersHeldThenCutOff(
  ctx: LockProbeContext,
  rng: Rng,
  holding: ProbeCall & { grant: SimGrant },
  waiting: ProbeCall,
  leader: MemberId,
  holder: MemberId,
  up: MemberId[],
): Promise<void> {
  const { sim } = ctx;
  const keeper = sim.services(leader)?.leases.keeper;
  const leaseId = holding.grant.leaseId;
  const ttlMs = ctx.locks.opts.ttlMs;
  if (!keeper) return letGo(holding, waiting);
  /** Runs until the leader hears the holder's next keep-alive round; its global ms, or undefined. */
  const nextRound = async (): Promise<number | undefined> => {
    const before = keeper.deadlineOf(leaseId) ?? Number.NaN;
    const heard = await sim.runUntilTrue(() => (keeper.deadlineOf(leaseId) ?? Number.NaN) > before, ttlMs);
    return heard ? sim.nowMs : undefined;
  };
  const first = await nextRound();
  const second = first === undefined ? undefined : await nextRound();
  if (first === undefined || second === undefined) return letGo(holding, waiting);
  const intervalMs = second - first;
  const holdMaxMs = 0.8 * ctx.electionTimeoutMs[0];
  // Held from just before the next round, so that round's answer waits.
  await sim.runUntil(second + 0.8 * intervalMs);
  sim.hold(leader, holder);
  const heldFromMs = sim.nowMs;
  const third = await nextRound();
  if (third === undefined || sim.loop(leader)?.status().role !== 'leader') {
    sim.release(leader, holder);
    return letGo(holding, waiting);
  }
  const heldMs = Math.max(0, Math.min(rng.real(0.5, 0.9) * intervalMs, holdMaxMs - (third - heldFromMs)));
  await sim.runUntil(third + heldMs);
  sim.partition(
    [holder],
    up.filter((id) => id !== holder),
  );
  sim.release(leader, holder);
  ctx.note(
    `probe: ${holder} (slowest clock) holds lock ${PROBE_LOCK}; a keep-alive answer held ${(sim.nowMs - third).toFixed(1)} ms, then cut off`,
  );
  await watchOverlap(ctx, holding, waiting, ttlMs);
}

async function deposedLeaderKeepsItsLease(
  ctx: LockProbeContext,
  rng: Rng,
  leader: MemberId,
  up: MemberId[],
): Promise<void> {
  const { sim } = ctx;
  const [, electionMaxMs] = ctx.electionTimeoutMs;
  // Long enough that the lease outlives a successor's election plus a margin, so the pause fits.
  const ttlMs = 4 * electionMaxMs;
  const holding = await holdProbeLock(ctx, rng, leader, ttlMs);
  if (!holding) return;
  const other = rng.pick(up.filter((id) => id !== leader));
  const waiting = await queueBehind(ctx, rng, other, ttlMs);
  const clock = sim.services(leader)?.env.clock;
  if (!waiting || !clock) return letGo(holding, waiting);
  // Its keep-alive rounds are regular (a third of its member's shortest TTL), and the leader answers
  // its own at once: two rounds seen tell when the next one is due, on its own clock.
  const rounds: number[] = [];
  for (let i = 0; i < 2; i++) {
    const deadline = holding.grant.lease.deadline;
    if (!(await sim.runUntilTrue(() => holding.grant.lease.deadline > deadline, ttlMs))) {
      return letGo(holding, waiting);
    }
    rounds.push(clock.now());
  }
  const [first, second] = rounds as [number, number];
  // Just before it: any tick timer due first would find the lost quorum and step down.
  await sim.runUntil(sim.globalMsAt(leader, 2 * second - first - rng.real(0.05, 1)));
  if (sim.loop(leader)?.status().role !== 'leader' || !holding.grant.valid) return letGo(holding, waiting);
  // Past a successor's election and a fifth of the TTL more; short of the lease's own deadline.
  const pauseMs = electionMaxMs + rng.real(0.2, 0.3) * ttlMs;
  sim.pause(leader, pauseMs, 'timers-first');
  ctx.note(
    `probe: leader ${leader} holds lock ${PROBE_LOCK}, paused ${pauseMs.toFixed(1)} ms just before its ` +
      'keep-alive round, cut off as it resumes',
  );
  await sim.runUntil(sim.nowMs + pauseMs - 0.5);
  sim.partition(
    [leader],
    up.filter((id) => id !== leader),
  );
  await watchOverlap(ctx, holding, waiting, ttlMs);
}

/** A probe client's call under way: its grant once settled; once the probe is done with it, a late grant is released. */
interface ProbeCall {
  readonly locks: LockWorkload;
  readonly client: RecipeClient;
  settled: boolean;
  grant: SimGrant | undefined;
  done: boolean;
}

/** `member` takes the probe lock (waiting its turn); undefined if it could not within a few election timeouts. */
async function holdProbeLock(
  ctx: LockProbeContext,
  rng: Rng,
  member: MemberId,
  ttlMs: number,
): Promise<(ProbeCall & { grant: SimGrant }) | undefined> {
  const call = startAcquire(ctx, rng, member, ttlMs);
  if (!call) return undefined;
  await ctx.sim.runUntilTrue(() => call.settled, 3 * ctx.electionTimeoutMs[1] + ttlMs);
  if (call.grant) return call as ProbeCall & { grant: SimGrant };
  letGo(call);
  return undefined;
}

/** `member` queues for the probe lock; undefined unless its request is seen waiting. */
async function queueBehind(
  ctx: LockProbeContext,
  rng: Rng,
  member: MemberId,
  ttlMs: number,
): Promise<ProbeCall | undefined> {
  const call = startAcquire(ctx, rng, member, ttlMs);
  if (!call) return undefined;
  const queued = () => (ctx.sim.coordinationState(member)?.waiters('lock', PROBE_LOCK).length ?? 0) > 0;
  await ctx.sim.runUntilTrue(() => queued() || call.settled, 2 * ctx.electionTimeoutMs[1]);
  return call;
}

function startAcquire(
  ctx: LockProbeContext,
  rng: Rng,
  member: MemberId,
  ttlMs: number,
): ProbeCall | undefined {
  const client = ctx.locks.client(member, `probe-${ttlMs}`, ttlMs);
  if (!client) return undefined;
  const call: ProbeCall = { locks: ctx.locks, client, settled: false, grant: undefined, done: false };
  void ctx.locks.acquire(client, 'lock', PROBE_LOCK, 'wait', rng, 4 * ttlMs).then((grant) => {
    call.grant = grant;
    call.settled = true;
    if (grant && call.done) void ctx.locks.release(client, grant);
  });
  return call;
}

/**
 * Runs until the waiter is granted the lock or the holder's grant can no
 * longer be valid (the overlap the checks look for can only happen in
 * between), then heals and lets both calls go.
 */
async function watchOverlap(
  ctx: LockProbeContext,
  holding: ProbeCall & { grant: SimGrant },
  waiting: ProbeCall,
  ttlMs: number,
): Promise<void> {
  await ctx.sim.runUntilTrue(() => waiting.settled || holding.grant.over || !holding.grant.valid, 2 * ttlMs);
  ctx.sim.heal();
  letGo(holding, waiting);
}

/**
 * The probe is done with these calls: each grant is released now, or as
 * soon as it arrives (in the background: the schedule goes on meanwhile).
 */
function letGo(...calls: (ProbeCall | undefined)[]): void {
  for (const call of calls) {
    if (!call) continue;
    call.done = true;
    if (call.grant) void call.locks.release(call.client, call.grant);
  }
}
