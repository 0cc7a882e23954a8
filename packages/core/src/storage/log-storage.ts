import type { Entry, HardState, Snapshot } from '../raft/types.js';

/** What a member finds on start. */
export interface RecoveredState {
  /** The newest durable hard state, or undefined on a fresh member. */
  hardState: HardState | undefined;
  /** The newest durable snapshot. */
  snapshot: Snapshot | undefined;
  /** Every durable entry after `snapshot.meta.index` (after 0 without a snapshot), consecutive and in order. */
  entries: Entry[];
}

/**
 * One Ready's worth of state to persist (see raft/ready.ts), applied in the
 * order snapshot, entries, hard state.
 */
export interface PersistBatch {
  /**
   * A snapshot received from a leader. It replaces every entry up to its
   * index. Later entries are kept only when the stored entry at its index has
   * the snapshot's term (Raft paper §7); otherwise the whole log is discarded
   * and the next entry must be `snapshot.meta.index + 1`. Its index must be
   * above the current snapshot's.
   */
  snapshot?: Snapshot;
  /**
   * Consecutive entries; `entries[0].index` is at most lastIndex + 1 and above
   * the snapshot's index. An entry whose index is already stored replaces it
   * and discards every later stored entry.
   */
  entries: readonly Entry[];
  hardState?: HardState;
  /** When true, persist() resolves only once the batch is on disk (fsync). */
  sync: boolean;
}

/**
 * Durable storage of one member's Raft log, hard state and snapshots.
 *
 * Calls take effect in the order they are made, even when the caller does not
 * await one before the next. A batch that breaks the rules above is a bug in
 * the caller and rejects with a RangeError, storing nothing of it.
 * After close(), every call rejects with `BatonError('BATON_STOPPED')`.
 */
export interface LogStorage {
  /** Everything persisted so far: after a restart, exactly what a crash-free shutdown left durable. */
  load(): Promise<RecoveredState>;
  /**
   * Applies `batch`; resolves once it is durable when `batch.sync`, and once
   * handed to the disk otherwise. An unsynced batch may be written later, with
   * the next one (a hard state that only moves the commit index), and is lost
   * by a crash before that: the caller counts on nothing it did not sync.
   */
  persist(batch: PersistBatch): Promise<void>;
  /**
   * Stores a snapshot the member took of its own applied state. Once it is
   * durable, entries up to its index may be compacted away. A snapshot not
   * newer than the stored one is ignored (a newer one already covers it).
   */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /** Waits for pending writes, then releases the storage. Idempotent. */
  close(): Promise<void>;
}

/** The logging surface storage uses; a pino logger fits it. */
export interface StorageLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A logger that drops everything: the default when the caller passes none. */
export const silentStorageLogger: StorageLogger = {
  info: () => {},
  warn: () => {},
};
