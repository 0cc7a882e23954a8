import { join } from 'node:path';
import { ChaosCluster, type MemberEvent } from './chaos-cluster.js';
import { type ChaosMemberConfig, monotonicNowMs, type WorkloadConfig } from './chaos-protocol.js';
import { RunRecord } from './run-record.js';

/** The workloads of a chaos run unless told otherwise. */
export const DEFAULT_WORKLOAD: WorkloadConfig = {
  lockWorkers: 2,
  lockNames: ['counter-a', 'counter-b', 'counter-c'],
  lockTtlMs: 2000,
  electionName: 'chaos-election',
  leaseTtlMs: [1000, 4000],
  registerKeys: 3,
  registerEpochMs: 10_000,
  gapMs: [5, 60],
};

export interface MemberSetOptions {
  /** Every member id the processes are configured with (some may never be started). */
  readonly ids: readonly string[];
  /** The `members` option of member `id`: it may address each peer differently (through a proxy, say). */
  readonly membersFor: (id: string) => Record<string, string>;
  /** Holds one dataDir per member. */
  readonly dir: string;
  readonly seed: number;
  readonly workload?: Partial<WorkloadConfig>;
  /** Per member, on top of `workload` (e.g. a different number of lock workers). */
  readonly workloadFor?: (id: string) => Partial<WorkloadConfig>;
  /** Storage settings of every member (see ChaosMemberConfig). */
  readonly storage?: Pick<ChaosMemberConfig, 'snapshotEntries' | 'walSegmentBytes'>;
  /** The members' log level; 'warn' unless told ('info' adds links coming up and going down). */
  readonly logLevel?: string;
  readonly secret?: string;
  /**
   * Also called for every event, after the record has taken it in and before
   * a store access is answered (a member paused here is paused before it sees
   * the answer). A promise it returns holds the answer back until it settles.
   */
  readonly onEvent?: (event: MemberEvent) => Promise<void> | undefined | void;
  /** Called with every line of every member's log. */
  readonly onLog?: (id: string, line: string) => void;
}

/**
 * Chaos member processes wired to a RunRecord: their events are recorded,
 * and the fenced store's answers go back to the member that asked.
 */
export function createMemberSet(options: MemberSetOptions): { cluster: ChaosCluster; record: RunRecord } {
  const record = new RunRecord();
  const t0 = monotonicNowMs();
  const workload = { ...DEFAULT_WORKLOAD, ...options.workload };
  const configFor = (id: string, life: number): ChaosMemberConfig => ({
    id,
    members: options.membersFor(id),
    dataDir: join(options.dir, id),
    secret: options.secret ?? 'chaos-run-shared-secret',
    life,
    seed: options.seed,
    t0,
    workload: { ...workload, ...options.workloadFor?.(id) },
    logLevel: options.logLevel ?? 'warn',
    ...options.storage,
  });
  const cluster: ChaosCluster = new ChaosCluster(configFor, options.ids, {
    onEvent: (e) => {
      const reply = record.onEvent(e);
      const held = options.onEvent?.(e);
      if (reply === undefined) return;
      if (held === undefined) cluster.send(e.id, { cmd: 'store-reply', ...reply });
      else void held.then(() => cluster.send(e.id, { cmd: 'store-reply', ...reply }));
    },
    onExit: (e) => record.onExit(e.id, e.life),
    ...(options.onLog === undefined ? {} : { onLog: options.onLog }),
  });
  return { cluster, record };
}
