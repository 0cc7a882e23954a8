import type { CoordinationView } from '../coordination.js';
import type { Histogram } from './histogram.js';

/** What a member tells its status page (Cluster provides it). */
export interface StatusSource {
  readonly id: string;
  status(): {
    readonly role: string;
    readonly term: number;
    readonly leaderId: string | undefined;
    readonly commitIndex: number;
    readonly appliedIndex: number;
    readonly members: readonly { readonly id: string; readonly voter: boolean }[];
  };
  /** The coordination state applied here (undefined when the member runs another state machine). */
  view(): CoordinationView | undefined;
  /** Leader only: ms until the leader would expire the lease, by its clock. */
  leaseRemainingMs(leaseId: number): number | undefined;
  /** Counters since start: leader changes seen, terms this member led. */
  counters(): { readonly leaderChanges: number; readonly termsLed: number };
  /** Write-ahead log counters and fsync latencies, when storage is on disk. */
  storage():
    | { readonly fsyncs: number; readonly bytes: number; readonly fsyncLatency: Histogram }
    | undefined;
  /** How long commands proposed on this member took, to applied here. */
  readonly commandLatency: Histogram;
}

/** The JSON the status page shows (`/status.json`). */
export interface StatusReport {
  readonly member: ReturnType<StatusSource['status']> & { readonly id: string };
  /** Wall-clock time of the report, for display only. */
  readonly at: string;
  readonly leases: readonly {
    readonly leaseId: number;
    readonly owner: string;
    readonly ttlMs: number;
    readonly remainingMs: number | undefined;
    readonly requests: number;
  }[];
  readonly locks: readonly {
    readonly space: string;
    readonly name: string;
    readonly holder: {
      readonly memberId: string;
      readonly fencingToken: number;
      readonly value?: string | undefined;
    };
    readonly waiters: readonly { readonly memberId: string; readonly waiterId: number }[];
  }[];
  readonly counts: {
    readonly leases: number;
    readonly locks: number;
    readonly elections: number;
    readonly waiters: number;
  };
  readonly truncated: boolean;
}

/** How many locks and leases the page lists at most. */
const LIST_MAX = 200;

export function buildStatusReport(source: StatusSource): StatusReport {
  const member = { id: source.id, ...source.status() };
  const view = source.view();
  if (view === undefined) {
    return {
      member,
      at: new Date().toISOString(),
      leases: [],
      locks: [],
      counts: { leases: 0, locks: 0, elections: 0, waiters: 0 },
      truncated: false,
    };
  }
  const summary = view.summary(LIST_MAX);
  const leases = view
    .leases()
    .slice(0, LIST_MAX)
    .map((l) => ({
      leaseId: l.leaseId,
      owner: l.owner,
      ttlMs: l.ttlMs,
      remainingMs: source.leaseRemainingMs(l.leaseId),
      requests: l.requests,
    }));
  const locks = summary.listed.map((l) => ({
    space: l.space,
    name: l.name,
    holder: { memberId: l.holder.owner, fencingToken: l.holder.fencingToken, value: l.holder.value },
    waiters: view
      .waiters(l.space, l.name)
      .slice(0, 20)
      .map((w) => ({ memberId: w.owner, waiterId: w.waiterId })),
  }));
  return {
    member,
    at: new Date().toISOString(),
    leases,
    locks,
    counts: {
      leases: summary.leases,
      locks: summary.locks,
      elections: summary.elections,
      waiters: summary.waiters,
    },
    truncated: summary.truncated || view.leases().length > LIST_MAX,
  };
}

/** The Prometheus text exposition (`/metrics`). */
export function renderMetrics(source: StatusSource): string {
  const s = source.status();
  const summary = source.view()?.summary(0);
  const counters = source.counters();
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number, labels = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}${labels} ${value}`);
  };
  lines.push("# HELP baton_role This member's role (1 for the current one).", '# TYPE baton_role gauge');
  for (const role of ['follower', 'candidate', 'leader'])
    lines.push(`baton_role{role="${role}"} ${s.role === role ? 1 : 0}`);
  metric('baton_term', 'gauge', 'The current Raft term.', s.term);
  metric('baton_commit_index', 'gauge', 'The highest log index known committed.', s.commitIndex);
  metric('baton_applied_index', 'gauge', 'The highest log index applied here.', s.appliedIndex);
  metric('baton_leader_changes_total', 'counter', 'Leader changes this member saw.', counters.leaderChanges);
  metric('baton_terms_led_total', 'counter', 'Terms in which this member became leader.', counters.termsLed);
  metric('baton_leases', 'gauge', 'Live leases.', summary?.leases ?? 0);
  metric('baton_locks_held', 'gauge', 'Locks held.', summary?.locks ?? 0);
  metric('baton_elections_led', 'gauge', 'Named elections with a winner.', summary?.elections ?? 0);
  metric('baton_waiters', 'gauge', 'Requests waiting for a lock or election.', summary?.waiters ?? 0);
  const storage = source.storage();
  if (storage) {
    metric('baton_wal_fsyncs_total', 'counter', 'fsyncs of the write-ahead log.', storage.fsyncs);
    metric('baton_wal_bytes_total', 'counter', 'Bytes written to the write-ahead log.', storage.bytes);
    lines.push(
      ...storage.fsyncLatency.render(
        'baton_fsync_seconds',
        'How long each fsync of the write-ahead log took.',
      ),
    );
  }
  lines.push(
    ...source.commandLatency.render(
      'baton_command_seconds',
      'Commands proposed on this member, until applied here.',
    ),
  );
  return `${lines.join('\n')}\n`;
}
