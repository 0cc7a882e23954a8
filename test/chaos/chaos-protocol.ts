/**
 * The line protocol between the chaos harness and its member processes
 * (chaos-member.ts): one JSON object per line, events on the child's stdout,
 * commands on its stdin. Every event carries `at`, milliseconds on the
 * machine's CLOCK_MONOTONIC, which all processes share.
 */

export const CHAOS_CONFIG_ENV = 'BATON_CHAOS_MEMBER_CONFIG';

/** What a member's workloads do; every member runs all of them. */
export interface WorkloadConfig {
  /** Concurrent withLock workers, each on a random name of `lockNames`. */
  readonly lockWorkers: number;
  readonly lockNames: readonly string[];
  /** TTL of the Locks and Election leases. */
  readonly lockTtlMs: number;
  /** The named election every member campaigns in. */
  readonly electionName: string;
  /** TTLs of the leases the lease workload grants and revokes. */
  readonly leaseTtlMs: readonly [number, number];
  /** Registers in use at a time; the set rotates every `registerEpochMs` to keep each key's history small. */
  readonly registerKeys: number;
  readonly registerEpochMs: number;
  /** The pause between two operations of one workload loop. */
  readonly gapMs: readonly [number, number];
  /** Chance that a lock holder dawdles between its read and its write (up to the TTL); default 0.1. */
  readonly dawdleChance?: number;
  /** Run the lock workers only: no election, lease or register loop, no runOnLeader job (the soak run). */
  readonly locksOnly?: boolean;
}

export interface ChaosMemberConfig {
  readonly id: string;
  readonly members: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly secret: string;
  /** Which start of this member this is (1 for the first); seeds its workload with the run's seed. */
  readonly life: number;
  readonly seed: number;
  /** The monotonic instant the run began: register epochs count from it. */
  readonly t0: number;
  readonly workload: WorkloadConfig;
  readonly logLevel: string;
  /** The member's `snapshotEntries` option; Baton's default when absent. */
  readonly snapshotEntries?: number;
  /**
   * WAL segment size: when set, the member opens its dataDir's storage itself
   * with this segment size (through Cluster.start's storage hook), so a run
   * of minutes rolls over and compacts segments many times; the default
   * segment (64 MiB) would not fill in a short run.
   */
  readonly walSegmentBytes?: number;
}

/** Kinds of validity the harness checks for overlaps: who may act as the one holder at an instant. */
export type ValidityKind = 'raft' | 'job' | 'election' | 'lock';

/** A register operation's outcome when it did not return a value. */
export type RegisterFailure = 'failed' | 'unknown';

/** An event as a member writes it, without `at` (added when written). */
export type ChaosEventBody =
  | { readonly ev: 'started'; readonly pid: number; readonly port: number }
  | { readonly ev: 'role'; readonly role: string; readonly term: number }
  /** A holder saw `valid` turn true ('valid'), still true ('seen'), or false again ('end', with its last true instant). */
  | {
      readonly ev: 'valid' | 'seen';
      readonly kind: ValidityKind;
      readonly key: string;
      readonly token: number;
    }
  | {
      readonly ev: 'end';
      readonly kind: ValidityKind;
      readonly key: string;
      readonly token: number;
      readonly lastTrueAt: number;
    }
  /** A fenced store access the harness answers with a 'store-reply' command. */
  | {
      readonly ev: 'store';
      readonly rid: number;
      readonly op: 'read' | 'write';
      readonly name: string;
      readonly token: number;
      readonly value?: number;
      /** This holder will write without checking `valid` again (the harness freezes such holders). */
      readonly careless?: boolean;
    }
  /** A lock worker's attempt: 'ok' when the increment was accepted by the store. */
  | { readonly ev: 'inc'; readonly name: string; readonly token: number; readonly outcome: IncOutcome }
  | {
      readonly ev: 'op-error';
      readonly workload: 'lock' | 'election' | 'lease' | 'register';
      readonly code: string;
    }
  | { readonly ev: 'lease'; readonly op: 'grant' | 'revoke'; readonly leaseId: number }
  | {
      readonly ev: 'reg-invoke';
      readonly n: number;
      readonly key: string;
      readonly op: 'write' | 'read';
      readonly value?: string;
    }
  | { readonly ev: 'reg-ok'; readonly n: number; readonly output: string | null }
  | { readonly ev: 'reg-fail'; readonly n: number; readonly outcome: RegisterFailure; readonly code: string }
  | {
      readonly ev: 'status';
      readonly req: number;
      readonly role: string;
      readonly term: number;
      readonly leaderId: string | null;
      readonly commitIndex: number;
      readonly appliedIndex: number;
      /** A hash of the coordination state this member has applied. */
      readonly digest: string;
      readonly heapUsed: number;
    }
  | { readonly ev: 'status-failed'; readonly req: number; readonly code: string }
  /** What the member holds of the machine, for the soak run's bounds (member/resources.ts). */
  | ({ readonly ev: 'resources'; readonly req: number } & MemberResources)
  | { readonly ev: 'quiesced'; readonly req: number }
  | { readonly ev: 'reads-done'; readonly req: number }
  | { readonly ev: 'error'; readonly code: string; readonly message: string };

/** A member's use of memory, descriptors and disk at one instant. */
export interface MemberResources {
  /** V8 heap in use, after a full garbage collection when the member runs with --expose-gc. */
  readonly heapUsed: number;
  /** Whether `heapUsed` was measured after a forced collection. */
  readonly gcForced: boolean;
  readonly rss: number;
  /** Open file descriptors (/proc/self/fd), or null where that is not available. */
  readonly fds: number | null;
  /** Bytes of the WAL segments in the dataDir, and how many segments there are. */
  readonly walBytes: number;
  readonly walSegments: number;
  /** Bytes of the snapshot files in the dataDir. */
  readonly snapshotBytes: number;
  /** WAL bytes written since the member opened its storage: what the WAL would hold without compaction. */
  readonly walBytesWritten: number;
  readonly appliedIndex: number;
}

/** How a withLock increment ended. */
export type IncOutcome =
  /** The store accepted the write: an acknowledged increment. */
  | 'ok'
  /** The store refused a token lower than one it had seen (a holder that lost the lock). */
  | 'stale'
  /** The store refused a compare-and-set whose expected value was not current. */
  | 'conflict'
  /** `held.valid` was false before a store access, so the worker did not make it. */
  | 'not-valid';

export type ChaosEvent = ChaosEventBody & { readonly at: number };

export type ChaosCommand =
  | {
      readonly cmd: 'store-reply';
      readonly rid: number;
      readonly ok: boolean;
      readonly value?: number;
      readonly refusal?: 'stale' | 'conflict';
    }
  /** Answers 'status'; with `sync`, after a linearizable read point (so it applied all that was committed). */
  | { readonly cmd: 'status'; readonly req: number; readonly sync: boolean }
  /** Stops every workload loop, closes Locks and Election, waits for calls in flight; answers 'quiesced'. */
  | { readonly cmd: 'quiesce'; readonly req: number }
  /** A linearizable read of each key, recorded like workload reads; answers 'reads-done'. */
  | { readonly cmd: 'read-keys'; readonly req: number; readonly keys: readonly string[] }
  /** Measures the member's heap (after a forced GC), RSS, open descriptors and dataDir; answers 'resources'. */
  | { readonly cmd: 'resources'; readonly req: number };

/** Milliseconds on CLOCK_MONOTONIC, with microsecond resolution. */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
