import { formatSeed } from '../../packages/core/src/sim/rng.js';
import { monotonicNowMs, type WorkloadConfig } from './chaos-protocol.js';
import { type Anomaly, checkCounters, checkHistory, checkIntervals } from './checks.js';
import { type Convergence, converge } from './convergence.js';
import { type FaultCounts, FaultExecutor } from './fault-executor.js';
import { createMemberSet } from './member-set.js';
import { startProxiedRun } from './proxied-run.js';
import type { ProxyMesh } from './proxy-mesh.js';
import type { RunRecord } from './run-record.js';
import { describeStep, makeSchedule } from './schedule.js';

export interface ChaosOptions {
  readonly seed: number;
  /** Length of the faults phase. */
  readonly seconds: number;
  readonly members: number;
  readonly log: (line: string) => void;
  readonly workload?: Partial<WorkloadConfig>;
}

export interface ChaosResult {
  readonly seed: number;
  readonly anomalies: readonly Anomaly[];
  readonly replay: string;
  readonly summary: readonly string[];
  readonly faults: FaultCounts;
  readonly record: RunRecord;
  readonly convergence: Convergence | undefined;
}

/** A leader is expected this soon after the members start, and again after the faults end. */
const LEADER_WAIT_MS = 30_000;
/** After healing, the workloads run this long on a healthy cluster before they are quiesced. */
const CALM_MS = 3000;
/** Quiescing waits for calls in flight, each bounded by its own timeout (at most a few seconds). */
const QUIESCE_WAIT_MS = 30_000;
/** Every member must have applied the same index, with the same state, within this after quiescing. */
const CONVERGE_WAIT_MS = 30_000;
const PROGRESS_EVERY_MS = 10_000;

/** The command that replays a run's schedule. */
export function replayCommand(options: Pick<ChaosOptions, 'seed' | 'seconds' | 'members'>): string {
  return `pnpm chaos --seed ${formatSeed(options.seed)} --seconds ${options.seconds} --members ${options.members}`;
}

/**
 * One chaos run (see cli.ts): members behind fault proxies, the seeded
 * schedule of faults with every workload running, then healing, a calm
 * stretch, quiescing, convergence, final reads, and the checks.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const { seed, seconds, log } = options;
  const ids = Array.from({ length: options.members }, (_, i) => `n${i + 1}`);
  const schedule = makeSchedule({ seed, ids, seconds });
  log(
    `chaos seed=${formatSeed(seed)} members=${ids.length} faults phase ${seconds} s, ${schedule.length} steps:`,
  );
  for (const step of schedule) log(`  ${describeStep(step)}`);

  const { dir, ports, mesh, removeDir } = await startProxiedRun(ids, 'baton-chaos-');
  const t0 = monotonicNowMs();
  const leaderWaiters = new Set<() => void>();
  const { cluster, record } = createMemberSet({
    ids,
    membersFor: (id) => mesh.membersFor(id, ports),
    dir,
    seed,
    workload: options.workload,
    onEvent: (e) => {
      if (e.ev === 'role' && e.role === 'leader') for (const wake of leaderWaiters) wake();
      return e.ev === 'store' && e.op === 'read' && e.careless ? executor.onStoreRead(e.id) : undefined;
    },
  });
  const executor = new FaultExecutor(mesh, cluster, () => record.leader(), log);
  const waitLeader = (what: string): Promise<void> =>
    new Promise((resolve, reject) => {
      if (record.leader() !== undefined) return resolve();
      const timer = setTimeout(
        () => reject(new Error(`no leader within ${LEADER_WAIT_MS} ms ${what}`)),
        LEADER_WAIT_MS,
      );
      const wake = (): void => {
        clearTimeout(timer);
        leaderWaiters.delete(wake);
        resolve();
      };
      leaderWaiters.add(wake);
    });

  const anomalies: Anomaly[] = [];
  let convergence: Convergence | undefined;
  const progress = setInterval(() => log(progressLine(record, t0)), PROGRESS_EVERY_MS);
  try {
    await Promise.all(ids.map((id) => cluster.start(id)));
    await waitLeader('after the members started');
    log(`members up, ${record.leader()} leads; faults phase starts`);
    await executor.run(schedule);
    await executor.healAll();
    const healedAt = monotonicNowMs();
    log('faults over: links healed, members resumed and restarted');
    await waitLeader('after healing').catch((error: Error) =>
      anomalies.push({ check: 'liveness', detail: error.message }),
    );
    await calm(CALM_MS);
    if (record.lastRegisterOkAt < healedAt) {
      anomalies.push({
        check: 'liveness',
        detail: `no register operation succeeded in the ${CALM_MS} ms after healing`,
      });
    }
    await Promise.all(ids.map((id) => cluster.request(id, { cmd: 'quiesce' }, 'quiesced', QUIESCE_WAIT_MS)));
    convergence = await converge(cluster, CONVERGE_WAIT_MS);
    if (!convergence.converged) anomalies.push({ check: 'convergence', detail: convergence.detail });
    else
      log(
        `converged: every member applied index ${convergence.appliedIndex} (${convergence.rounds} rounds, ${convergence.ms.toFixed(0)} ms)`,
      );
    const keys = record.history.keys();
    await Promise.all(
      ids.map((id) => cluster.request(id, { cmd: 'read-keys', keys }, 'reads-done', QUIESCE_WAIT_MS)),
    );
  } catch (error) {
    anomalies.push({ check: 'run', detail: error instanceof Error ? error.message : String(error) });
  } finally {
    clearInterval(progress);
    await executor.healAll().catch(() => {});
    await cluster.close();
    await mesh.close();
    await removeDir();
  }
  for (const message of record.memberErrors) anomalies.push({ check: 'member error', detail: message });
  anomalies.push(...checkIntervals(record.validity.intervals()));
  anomalies.push(...checkCounters(record.store, record.acknowledged));
  const history = checkHistory(record.history);
  anomalies.push(...history.anomalies);
  const summary = summarize(record, executor.counts, mesh, history.steps);
  return {
    seed,
    anomalies,
    replay: replayCommand(options),
    summary,
    faults: executor.counts,
    record,
    convergence,
  };
}

/** Lets the workloads run on without faults; a duration of the run, not a wait for a condition. */
function calm(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function progressLine(record: RunRecord, t0: number): string {
  const h = record.history.counts;
  const s = ((monotonicNowMs() - t0) / 1000).toFixed(0);
  return `  [${s}s] increments ok ${record.incOutcomes.ok}, stale refused ${record.incOutcomes.stale}, register ops ${h.writes + h.reads}, leases ${record.leases.grant}, leader ${record.leader() ?? '-'}`;
}

function summarize(record: RunRecord, faults: FaultCounts, mesh: ProxyMesh, steps: number): string[] {
  const h = record.history.counts;
  const intervals = record.validity.intervals();
  const byKind = (kind: string) => intervals.filter((i) => i.kind === kind).length;
  const errors = [...record.errors].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`);
  const totals = mesh.totals();
  return [
    `faults: ${Object.entries(faults.applied)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; skipped ${faults.skipped}`,
    `proxied: ${totals.connections} connections, ${(totals.bytes / 1e6).toFixed(1)} MB`,
    `locks: ${record.incOutcomes.ok} increments acknowledged, ${record.incOutcomes.stale} stale-token accesses refused, ${record.incOutcomes['not-valid']} skipped (lock no longer valid), ${record.incOutcomes.conflict} conflicts; counters ${record.store
      .totals()
      .map((t) => `${t.name}=${t.value}`)
      .join(' ')}`,
    `validity intervals: raft ${byKind('raft')}, runOnLeader ${byKind('job')}, election ${byKind('election')}, locks ${byKind('lock')}`,
    `leases: ${record.leases.grant} granted, ${record.leases.revoke} revoked`,
    `registers: ${h.writes} writes, ${h.reads} reads, ${h.ok} ok, ${h.failed} failed, ${h.unknown} unknown; linearizability search ${steps} steps over ${record.history.keys().length} keys`,
    `workload errors: ${errors.length === 0 ? 'none' : errors.join(', ')}`,
  ];
}
