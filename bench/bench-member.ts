/**
 * A benchmark member process. Reports JSON lines on stdout, timed with the
 * machine's monotonic clock (shared by every process): started, leading
 * (when its leadership() resolves) and first-write (when, as a new leader,
 * its first proposal committed). On stdin it takes {"cmd":"load",...}: run
 * concurrent proposers for a while and report throughput and fsyncs; and
 * {"cmd":"locks",...}: lock round trips, or workers taking locks;
 * {"cmd":"election-rt",...}: campaign → elected → resign round trips; and
 * {"cmd":"campaign",...}: campaign in a named election and report the win
 * (kept until the process dies).
 */

import {
  createHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
  type RecordableHistogram,
} from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Cluster } from '@baton/core';
import { Election, type ElectionLeadership } from '@baton/election';
import { Locks } from '@baton/lock';
import { pino } from 'pino';

const config = JSON.parse(process.env.BATON_BENCH_MEMBER ?? '{}') as {
  id: string;
  members: Record<string, string>;
  dataDir: string;
  secret: string;
};
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const report = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ id: config.id, at: nowMs(), ...event })}\n`);

const cluster = await Cluster.start({ ...config, logger: pino({ level: 'warn' }) });
report({ type: 'started', pid: process.pid });
cluster.on('role', (role, term) => report({ type: 'role', role, term }));
const payload = new Uint8Array(64);
// Event-loop stalls explain elections under load: report the worst one with every stats reply.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
// Each stall over 100 ms and each GC pause over 50 ms is reported with its time, to line up with role changes.
const STALL_REPORT_MS = 100;
let lastSample = nowMs();
setInterval(() => {
  const now = nowMs();
  if (now - lastSample > STALL_REPORT_MS) {
    process.stdout.write(
      `${JSON.stringify({ id: config.id, at: lastSample, type: 'stall', ms: now - lastSample, heapMb: heapMb() })}\n`,
    );
  }
  lastSample = now;
}, 10).unref();
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.duration < 50) continue;
    const at = nowMs() - (performance.now() - e.startTime);
    process.stdout.write(
      `${JSON.stringify({ id: config.id, at, type: 'gc', ms: e.duration, kind: (e as { detail?: { kind?: number } }).detail?.kind })}\n`,
    );
  }
}).observe({ entryTypes: ['gc'] });
function heapMb(): number {
  return Math.round(process.memoryUsage().heapUsed / 1e6);
}

async function leadLoop(): Promise<void> {
  for (;;) {
    const token = await cluster.leadership().catch(() => undefined);
    if (token === undefined) return; // stopped
    report({ type: 'leading', term: token.term });
    try {
      await cluster.propose(payload);
      report({ type: 'first-write', term: token.term });
    } catch (e) {
      report({ type: 'first-write-failed', error: String(e) });
    }
    await new Promise((resolve) => token.signal.addEventListener('abort', resolve, { once: true }));
    report({
      type: 'lost',
      term: token.term,
      cause: String((token.signal.reason as { cause?: unknown }).cause),
    });
  }
}

async function load(proposers: number, durationMs: number): Promise<void> {
  const before = cluster.storageStats();
  // A histogram, not an array sorted at the end: sorting the latencies of a
  // 5-minute run took the leader's event loop for ~0.8 s and cost it the lease.
  const latencyUs = createHistogram();
  let failed = 0;
  const end = nowMs() + durationMs;
  const t0 = nowMs();
  await Promise.all(
    Array.from({ length: proposers }, async () => {
      while (nowMs() < end) {
        const t = nowMs();
        try {
          await cluster.propose(payload);
          latencyUs.record(Math.max(1, Math.round((nowMs() - t) * 1000)));
        } catch {
          failed++;
        }
      }
    }),
  );
  const elapsed = nowMs() - t0;
  const after = cluster.storageStats();
  report({
    type: 'load-result',
    proposers,
    committed: latencyUs.count,
    failed,
    elapsedMs: elapsed,
    perSecond: (latencyUs.count / elapsed) * 1000,
    p50: latencyUs.percentile(50) / 1000,
    p99: latencyUs.percentile(99) / 1000,
    fsyncs: after && before ? after.fsyncs - before.fsyncs : undefined,
  });
}

let lockSet: Locks | undefined;

/**
 * Every lock and election workload first runs unmeasured, in its own shape,
 * for the warm-up the benchmark asks (at least this many round trips on
 * each member that runs it): the lease must exist, and V8 should have compiled the path. In a
 * cluster that ran nothing before, the first seconds of round trips cost
 * about twice the CPU of later ones (BENCHMARKS.md, run J). The etcd client
 * of the anchors (../shared/anchors) warms up with 100 round trips.
 */
const WARM_UP_OPS_MIN = 100;

type LockMode = 'roundtrip' | 'distinct' | 'one';

/**
 * Runs a lock workload until both `stop.minOps` round trips are done (on
 * this member, shared among its workers; given up at `stop.capMs`) and
 * `stop.endMs` has passed, recording
 * each round trip's latency in `latencyUs` when given. Returns how many
 * calls failed.
 */
async function lockWorkload(
  locks: Locks,
  mode: LockMode,
  workers: number,
  stop: { minOps: number; endMs: number; capMs: number },
  latencyUs?: RecordableHistogram,
): Promise<number> {
  let failed = 0;
  const once = async (name: string) => {
    const t = nowMs();
    try {
      const held = await locks.acquire(name, { waitMs: 30_000 });
      await held.release();
      latencyUs?.record(Math.max(1, Math.round((nowMs() - t) * 1000)));
    } catch {
      failed++;
    }
  };
  if (mode === 'roundtrip') {
    for (let i = 0; (i < stop.minOps && nowMs() < stop.capMs) || nowMs() < stop.endMs; i++)
      await once(`rt-${config.id}`);
    return failed;
  }
  const minOpsEach = Math.ceil(stop.minOps / workers);
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const name = mode === 'one' ? 'hot' : `w-${config.id}-${w}`;
      for (let i = 0; (i < minOpsEach && nowMs() < stop.capMs) || nowMs() < stop.endMs; i++) await once(name);
    }),
  );
  return failed;
}

/**
 * Lock workloads: 'roundtrip' — `count` sequential acquire+release of one
 * lock of this member's; 'distinct' — `workers` workers, each on a lock of
 * its own, acquire+release in a loop; 'one' — `workers` workers on the one
 * lock 'hot' (FIFO hand-offs, empty critical section). Each after `warmUpMs`
 * of the same workload unmeasured.
 */
async function lockLoad(
  mode: LockMode,
  workers: number,
  durationMs: number,
  count: number,
  warmUpMs: number,
): Promise<void> {
  lockSet ??= new Locks(cluster, { ttlMs: 10_000 });
  const locks = lockSet;
  // A sick cluster must not keep the warm-up past the harness's wait (warm-up + duration + 120 s).
  const warmUpStop = {
    minOps: WARM_UP_OPS_MIN,
    endMs: nowMs() + warmUpMs,
    capMs: nowMs() + warmUpMs + 60_000,
  };
  const warmUpFailed = await lockWorkload(locks, mode, workers, warmUpStop);
  const latencyUs = createHistogram();
  // The harness takes the members' costs (CPU, entries, fsyncs) from here to the result.
  report({ type: 'locks-timed', mode });
  const t0 = nowMs();
  // The timed part: `count` sequential round trips, or the workers for `durationMs`.
  const timedStop =
    mode === 'roundtrip'
      ? { minOps: count, endMs: t0, capMs: Number.POSITIVE_INFINITY }
      : { minOps: 0, endMs: t0 + durationMs, capMs: t0 };
  const failed = await lockWorkload(locks, mode, workers, timedStop, latencyUs);
  const elapsed = nowMs() - t0;
  report({
    type: 'locks-result',
    mode,
    ops: latencyUs.count,
    failed,
    warmUpFailed,
    elapsedMs: elapsed,
    p50: latencyUs.percentile(50) / 1000,
    p99: latencyUs.percentile(99) / 1000,
  });
}

/** `count` sequential campaign → elected → resign round trips on an election of this member's own, after `warmUpMs` of them unmeasured. */
async function electionRoundTrips(count: number, warmUpMs: number): Promise<void> {
  const election = new Election(cluster, `rt-${config.id}`, { ttlMs: 10_000 });
  const warmUpEnd = nowMs() + warmUpMs;
  let warmUpFailed = 0;
  for (let i = 0; i < WARM_UP_OPS_MIN / 2 || nowMs() < warmUpEnd; i++) {
    try {
      await (await election.campaign()).resign();
    } catch {
      warmUpFailed++;
    }
  }
  const latencyUs = createHistogram();
  let failed = 0;
  const t0 = nowMs();
  for (let i = 0; i < count; i++) {
    const t = nowMs();
    try {
      await (await election.campaign()).resign();
      latencyUs.record(Math.max(1, Math.round((nowMs() - t) * 1000)));
    } catch {
      failed++;
    }
  }
  await election.close();
  report({
    type: 'election-rt-result',
    ops: latencyUs.count,
    failed,
    warmUpFailed,
    elapsedMs: nowMs() - t0,
    p50: latencyUs.percentile(50) / 1000,
    p99: latencyUs.percentile(99) / 1000,
  });
}

/** Held while the process lives: a SIGKILL is how the benchmark ends a win. */
const wins: ElectionLeadership[] = [];

/** Campaigns in `name` and reports the win the moment the token is valid. */
async function campaign(name: string, ttlMs: number): Promise<void> {
  const won = await new Election(cluster, name, { ttlMs }).campaign({ value: config.id });
  report({ type: 'elected', name, fencingToken: won.fencingToken, valid: won.valid });
  wins.push(won);
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const cmd = JSON.parse(line) as {
    cmd: string;
    proposers?: number;
    durationMs?: number;
    mode?: string;
    workers?: number;
    count?: number;
    warmUpMs?: number;
    name?: string;
    ttlMs?: number;
  };
  if (cmd.cmd === 'load') void load(cmd.proposers ?? 1, cmd.durationMs ?? 5000);
  if (cmd.cmd === 'locks')
    void lockLoad(
      (cmd.mode ?? 'roundtrip') as LockMode,
      cmd.workers ?? 1,
      cmd.durationMs ?? 5000,
      cmd.count ?? 1000,
      cmd.warmUpMs ?? 0,
    );
  if (cmd.cmd === 'election-rt') void electionRoundTrips(cmd.count ?? 300, cmd.warmUpMs ?? 0);
  if (cmd.cmd === 'campaign') {
    void campaign(cmd.name ?? 'bench', cmd.ttlMs ?? 2000).catch((e: unknown) =>
      report({ type: 'campaign-failed', error: String(e) }),
    );
  }
  if (cmd.cmd === 'stats') {
    report({
      type: 'stats',
      storage: cluster.storageStats(),
      status: cluster.status(),
      loopDelayMaxMs: loopDelay.max / 1e6,
      loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
      heapMb: heapMb(),
    });
    loopDelay.reset();
  }
});
process.on('SIGTERM', () => void cluster.stop().then(() => process.exit(0)));
void leadLoop();
