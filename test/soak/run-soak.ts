import type { ChaosCluster } from '../chaos/chaos-cluster.js';
import { monotonicNowMs } from '../chaos/chaos-protocol.js';
import { checkCounters, checkIntervals } from '../chaos/checks.js';
import { converge } from '../chaos/convergence.js';
import { createMemberSet } from '../chaos/member-set.js';
import { startProxiedRun } from '../chaos/proxied-run.js';
import type { ProxyMesh } from '../chaos/proxy-mesh.js';
import type { RunRecord } from '../chaos/run-record.js';
import { LinkWatch } from './link-watch.js';
import { ReconnectDriver } from './reconnect-driver.js';
import { ResourceSampler, type Sample } from './resource-sampler.js';
import {
  checkFds,
  checkHeap,
  checkProgress,
  checkReconnects,
  checkSnapshots,
  checkWal,
  kib,
  type SoakCheck,
  type WalLimits,
} from './soak-checks.js';
import { resourceTable } from './soak-report.js';

export interface SoakOptions {
  readonly durationMs: number;
  /** Lock workers over all members, spread as evenly as they go. */
  readonly workers: number;
  /** Link resets the harness makes over the run, each one a reconnect of one member's link. */
  readonly reconnects: number;
  readonly members: number;
  /** Between two resource samples; default 10 s, shorter for short runs (see SAMPLES_MIN). */
  readonly sampleEveryMs?: number;
  /** The members' WAL segment size and snapshot interval (see WalLimits). */
  readonly storage?: Partial<WalLimits>;
  readonly seed?: number;
  readonly log: (line: string) => void;
}

export interface SoakResult {
  readonly checks: readonly SoakCheck[];
  /** The figures table and the run's counts, for printing. */
  readonly report: readonly string[];
  readonly samples: ReadonlyMap<string, readonly Sample[]>;
  readonly record: RunRecord;
}

/** Samples every 10 s, but at least 18 over the run, so the heap check has six in each third. */
const DEFAULT_SAMPLE_EVERY_MS = 10_000;
const SAMPLES_MIN = 18;
/**
 * WAL segments of 64 KiB instead of Baton's 64 MiB and a snapshot every
 * 1,000 entries instead of 10,000: a run of minutes writes a few MiB of
 * WAL, so with the defaults nothing would ever be compacted in it; scaled
 * down, segments roll over and are deleted many times.
 */
const DEFAULT_WAL_LIMITS: WalLimits = { segmentBytesMax: 64 * 1024, snapshotEntries: 1000 };
/** The resets are spread over this share of the run, so the last ones too are made and redialled in it. */
const RESETS_SPAN = 0.9;
/** Generous for a loaded 2-core machine: members start (tsx compiles) and link within this. */
const LINKS_WAIT_MS = 60_000;
/** Quiescing waits for calls in flight, each bounded by its own timeout. */
const QUIESCE_WAIT_MS = 30_000;
const CONVERGE_WAIT_MS = 30_000;
const LOCK_NAMES = ['soak-a', 'soak-b', 'soak-c'];
/**
 * Few holders dawdle (the chaos run's tenth would make a held lock's TTL the
 * pace of the run): the workload writes as many entries as the hand-offs
 * allow, and some locks are still lost to an expired lease.
 */
const DAWDLE_CHANCE = 0.01;

/** Everything one run builds, for its phases and its clean-up. */
interface SoakRun {
  readonly ids: readonly string[];
  readonly limits: WalLimits;
  readonly sampleEveryMs: number;
  readonly dir: string;
  /** Removes `dir` once the members are stopped. */
  readonly removeDir: () => Promise<void>;
  readonly mesh: ProxyMesh;
  readonly watch: LinkWatch;
  readonly cluster: ChaosCluster;
  readonly record: RunRecord;
  readonly driver: ReconnectDriver;
  readonly sampler: ResourceSampler;
  /** Acknowledged increments at each sample round of the run, for the progress check. */
  readonly progress: { atMs: number; ok: number }[];
  running: boolean;
  /** Members no longer running when the run's time was up. */
  exited: string[];
  convergence: string;
}

/**
 * A soak run (see cli.ts): member processes with lock workers, their peer
 * links reset at an even pace, resources sampled throughout; then the
 * workload stops, the links come back, and the bounds are checked.
 */
export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const run = await setUp(options);
  const checks: SoakCheck[] = [];
  const fail = (name: string, error: unknown): void => {
    checks.push({ name, ok: false, detail: error instanceof Error ? error.message : String(error) });
  };
  try {
    await loadPhase(run, options, fail);
    await settlePhase(run, fail);
  } catch (error) {
    fail('run', error);
  } finally {
    run.running = false;
    run.driver.stop();
    await run.sampler.stop();
    await run.cluster.close();
    await run.mesh.close();
    await run.removeDir();
  }
  const { record, watch, driver, sampler, ids } = run;
  checks.push(...resourceChecks(sampler.samples, run.limits));
  checks.push(checkReconnects(watch.reconnects(), options.reconnects, driver.resets));
  checks.push(checkProgress(run.progress));
  checks.push(lockSafety(record));
  if (run.exited.length > 0) fail('members', `members that exited during the run: ${run.exited.join(', ')}`);
  for (const message of record.memberErrors) fail('member error', message);
  const report = [
    ...resourceTable(sampler.samples),
    ...summary(record, watch, driver, ids),
    ...(run.convergence === '' ? [] : [`converged: ${run.convergence}`]),
  ];
  return { checks, report, samples: sampler.samples, record };
}

async function setUp(options: SoakOptions): Promise<SoakRun> {
  const ids = Array.from({ length: options.members }, (_, i) => `n${i + 1}`);
  const limits: WalLimits = { ...DEFAULT_WAL_LIMITS, ...options.storage };
  const { dir, ports, mesh, removeDir } = await startProxiedRun(ids, 'baton-soak-');
  const watch = new LinkWatch();
  const { cluster, record } = createMemberSet({
    ids,
    membersFor: (id) => mesh.membersFor(id, ports),
    dir,
    seed: options.seed ?? 1,
    workload: { locksOnly: true, lockNames: LOCK_NAMES, dawdleChance: DAWDLE_CHANCE },
    workloadFor: (id) => ({ lockWorkers: workersOf(ids.indexOf(id), ids.length, options.workers) }),
    storage: { walSegmentBytes: limits.segmentBytesMax, snapshotEntries: limits.snapshotEntries },
    logLevel: 'info',
    onLog: (id, line) => watch.onLog(id, line),
  });
  const run: SoakRun = {
    ids,
    limits,
    sampleEveryMs:
      options.sampleEveryMs ?? Math.min(DEFAULT_SAMPLE_EVERY_MS, options.durationMs / SAMPLES_MIN),
    dir,
    removeDir,
    mesh,
    watch,
    cluster,
    record,
    driver: new ReconnectDriver(mesh, watch, options.reconnects),
    sampler: new ResourceSampler(cluster, () => {
      if (run.running) run.progress.push({ atMs: monotonicNowMs(), ok: record.incOutcomes.ok });
    }),
    progress: [],
    running: false,
    exited: [],
    convergence: '',
  };
  return run;
}

/** Members up and linked, a first sample, then the workload under link resets for the run's duration. */
async function loadPhase(
  run: SoakRun,
  options: SoakOptions,
  fail: (name: string, error: unknown) => void,
): Promise<void> {
  const { ids, cluster, watch, sampler, driver, record, limits } = run;
  await Promise.all(ids.map((id) => cluster.start(id)));
  await watch.allUp(ids, LINKS_WAIT_MS);
  options.log(
    `members up and linked; ${options.workers} lock workers, WAL segments of ${kib(limits.segmentBytesMax)}, a snapshot every ${limits.snapshotEntries} entries, samples every ${(run.sampleEveryMs / 1000).toFixed(1)} s`,
  );
  run.running = true;
  await sampler.round();
  driver.start(RESETS_SPAN * (options.durationMs / options.reconnects));
  sampler.start(run.sampleEveryMs);
  await runFor(options.durationMs, (s) => options.log(`  [${s} s] ${progressLine(record, watch, driver)}`));
  run.running = false;
  driver.stop();
  await sampler.stop();
  if (sampler.failure !== undefined) fail('sampling', sampler.failure);
  run.progress.push({ atMs: monotonicNowMs(), ok: record.incOutcomes.ok });
  run.exited = ids.filter((id) => !cluster.isRunning(id));
}

/** The workload stopped and every link up again: the last sample, then convergence. */
async function settlePhase(run: SoakRun, fail: (name: string, error: unknown) => void): Promise<void> {
  const { ids, cluster, watch, sampler } = run;
  await Promise.all(ids.map((id) => cluster.request(id, { cmd: 'quiesce' }, 'quiesced', QUIESCE_WAIT_MS)));
  await watch.allUp(ids, LINKS_WAIT_MS);
  await sampler.round();
  const converged = await converge(cluster, CONVERGE_WAIT_MS);
  if (!converged.converged) fail('convergence', converged.detail);
  else run.convergence = `every member applied index ${converged.appliedIndex} with the same state`;
}

/** Lock workers of the member at `index`: `workers` spread over `members`, the first ones taking the remainder. */
export function workersOf(index: number, members: number, workers: number): number {
  return Math.floor(workers / members) + (index < workers % members ? 1 : 0);
}

function resourceChecks(samples: ReadonlyMap<string, readonly Sample[]>, limits: WalLimits): SoakCheck[] {
  const checks: SoakCheck[] = [];
  for (const [id, list] of samples) {
    const start = list[0];
    const end = list.at(-1);
    if (start === undefined || end === undefined || list.length < 2) {
      checks.push({ name: `${id} samples`, ok: false, detail: `${list.length} samples` });
      continue;
    }
    // The last sample is taken after the workload stopped: the flatness checks look at the run itself.
    const during = list.slice(0, -1);
    const fds = list.map((s) => s.fds).filter((n): n is number => n !== null);
    checks.push(checkWal(id, list, limits));
    checks.push(checkHeap(id, during));
    checks.push(checkSnapshots(id, during));
    checks.push(checkFds(id, start, end, fds.length === 0 ? null : Math.max(...fds)));
  }
  return checks;
}

/** No fencing anomaly: no lost or interleaved increment, no two holders valid at once, tokens only growing. */
function lockSafety(record: RunRecord): SoakCheck {
  const anomalies = [
    ...checkIntervals(record.validity.intervals()),
    ...checkCounters(record.store, record.acknowledged),
  ];
  return {
    name: 'lock safety',
    ok: anomalies.length === 0,
    detail:
      anomalies.length === 0
        ? `no fencing anomaly over ${record.validity.intervals().length} validity intervals`
        : anomalies
            .slice(0, 10)
            .map((a) => `${a.check}: ${a.detail}`)
            .join('; '),
  };
}

function summary(
  record: RunRecord,
  watch: LinkWatch,
  driver: ReconnectDriver,
  ids: readonly string[],
): string[] {
  const o = record.incOutcomes;
  const errors = [...record.errors].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`);
  const perMember = (m: ReadonlyMap<string, number>): string =>
    ids.map((id) => `${id} ${m.get(id) ?? 0}`).join(', ');
  return [
    `locks: ${o.ok} increments acknowledged, ${o.stale} stale tokens refused, ${o['not-valid']} skipped (lock no longer valid), ${o.conflict} conflicts; counters ${record.store
      .totals()
      .map((t) => `${t.name}=${t.value}`)
      .join(' ')}`,
    `lock errors: ${errors.length === 0 ? 'none' : errors.join(', ')}`,
    `links: ${driver.resets} resets by the harness (${driver.idleTurns} turns found no link up), ${watch.reconnects()} reconnects logged by the members`,
    `WAL compactions: ${perMember(watch.compactions)}; leader/state changes logged: ${perMember(watch.stateChanges)}`,
  ];
}

function progressLine(record: RunRecord, watch: LinkWatch, driver: ReconnectDriver): string {
  return `increments ok ${record.incOutcomes.ok}, link resets ${driver.resets}, reconnects ${watch.reconnects()}, leader ${record.leader() ?? '-'}`;
}

/** The run's length, calling `onMinute` with the seconds run every minute. A duration, not a wait for a condition. */
function runFor(ms: number, onMinute: (seconds: string) => void): Promise<void> {
  const started = monotonicNowMs();
  return new Promise((resolve) => {
    const minute = setInterval(() => onMinute(((monotonicNowMs() - started) / 1000).toFixed(0)), 60_000);
    setTimeout(() => {
      clearInterval(minute);
      resolve();
    }, ms);
  });
}
