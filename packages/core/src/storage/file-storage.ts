import { join } from 'node:path';
import { BatonError } from '../errors.js';
import type { HardState, LogIndex, Snapshot } from '../raft/types.js';
import type { Histogram } from '../status/histogram.js';
import { isCommitOnly } from './commit-only.js';
import { DataDirLock } from './data-dir-lock.js';
import { ensureDataDirIdentity } from './identity-file.js';
import {
  type LogStorage,
  type PersistBatch,
  type RecoveredState,
  type StorageLogger,
  silentStorageLogger,
} from './log-storage.js';
import { applyPersistBatch, isNewLocalSnapshot, type LogWindow } from './log-window.js';
import type { DataDirIdentity } from './member-identity.js';
import { entryRecord, hardStateRecord, logResetRecord } from './record-payloads.js';
import { SnapshotStore } from './snapshot-store.js';
import { WAL_RECORD_PAYLOAD_BYTES_MAX, Wal, type WalStats, type WalWrite } from './wal.js';
import { RECORD_HEADER_BYTES } from './wal-record.js';
import { corruptAt, replayWal } from './wal-replay.js';
import { syncDirectory } from './wal-scan.js';

export interface FileStorageOptions {
  /** Where recovery and compaction are reported (a pino logger fits). Default: silent. */
  readonly logger?: StorageLogger;
  /** Start a new WAL segment once the active one would grow past this. Default 64 MiB. */
  readonly segmentBytesMax?: number;
  /** Bytes one group-commit round writes at most. Default 16 MiB. */
  readonly roundBytesMax?: number;
  /**
   * The member and cluster this dataDir must belong to: recorded when the
   * dataDir is new, checked otherwise (member-identity.ts). Cluster.start
   * always passes it; without it nothing is checked (storage tests).
   */
  readonly identity?: DataDirIdentity;
}

/**
 * LogStorage on disk, in `dataDir`:
 * - `wal/` the write-ahead log: entries, hard state and log resets, with
 *   group commit. The hard state is a WAL record rather than a file of its
 *   own because the commit index in it changes with nearly every batch: in
 *   the WAL it costs no extra fsync, where an atomically replaced file would
 *   cost two (file and directory) per batch. Each new segment starts with the
 *   current hard state, so compaction never deletes the newest one.
 * - `snap/` snapshots, written atomically.
 * - `LOCK-<n>.sock` one process per directory (data-dir-lock.ts).
 * - `MEMBER` the member and cluster the directory belongs to.
 *
 * A leader's snapshot is made durable before the WAL records that follow it;
 * WAL segments are deleted only once a snapshot covers every index they
 * mention. Recovery never drops an acknowledged entry: see {@link open}.
 */
export class FileStorage implements LogStorage {
  private hardState: HardState | undefined;
  /**
   * A hard state that changed only its commit index, not yet written: it goes
   * out with the next batch's records (or at close). Raft needs no commit
   * index on disk — a member that restarts behind learns it again from the
   * leader — so a commit-only batch costs no write round of its own; a
   * round for it would hold the next entries' write back by its length.
   */
  private deferredHardState: HardState | undefined;
  /** The commit index of the newest hard state handed to the WAL. */
  private writtenCommit: LogIndex = 0;
  /** Committed entries up to here were looked at for configuration changes already (see isCommitOnly). */
  private configCheckedTo: LogIndex = 0;
  private snapshot: Snapshot | undefined;
  /** Settles once every earlier persist has handed its records to the WAL, which keeps them in call order. */
  private enqueued: Promise<void> = Promise.resolve();
  /** Why nothing more may be written: a snapshot that could not be saved, or a lost dataDir lock. */
  private failure: { readonly reason: string; readonly cause: unknown } | undefined;
  private closed = false;

  private constructor(
    private readonly lock: DataDirLock,
    private readonly wal: Wal,
    private readonly snapshots: SnapshotStore,
    private window: LogWindow,
  ) {
    // Two writers on one log would break every guarantee: once the lock is no
    // longer held, nothing more is written and the member stops on its next write.
    lock.onLost = () => {
      this.failure ??= { reason: 'the dataDir lock is no longer held', cause: undefined };
    };
  }

  /**
   * Opens (creating if missing) `dataDir` and recovers it: a torn WAL tail is
   * cut off and logged; damage before the tail, a missing segment, a gap in
   * the entries, or a log that neither starts at 1 nor meets the newest
   * snapshot throws `BatonError('BATON_STORAGE_CORRUPT')` naming the file and
   * byte offset. A second open of a directory in use, or of another member's
   * or cluster's directory (`options.identity`), throws `BATON_CONFIG`.
   */
  static async open(dataDir: string, options: FileStorageOptions = {}): Promise<FileStorage> {
    const logger = options.logger ?? silentStorageLogger;
    const lock = await DataDirLock.acquire(dataDir, logger);
    let wal: Wal | undefined;
    try {
      if (options.identity !== undefined) await ensureDataDirIdentity(dataDir, options.identity, logger);
      const snapshots = await SnapshotStore.open(join(dataDir, 'snap'), logger);
      // Before each write round: is the dataDir lock still ours (its socket's name could have been deleted)?
      const opened = await Wal.open(join(dataDir, 'wal'), {
        ...options,
        logger,
        beforeRound: () => lock.verify(),
      });
      wal = opened.wal;
      // The names `snap` and `wal` may have just been created: they must survive a crash before anything
      // in them is acknowledged, as a new segment's name must (MEMBER's fsync of the dataDir came earlier).
      await syncDirectory(dataDir);
      if (opened.segments.length === 0 && snapshots.current !== undefined) {
        // The first segment is durable before any snapshot can be saved, and the active one is never deleted.
        throw corruptAt(join(dataDir, 'wal'), 0, 'a snapshot exists but the write-ahead log is gone');
      }
      const replay = replayWal(opened.segments);
      const window = replay.window;
      const hardStateFrame = replay.hardState && hardStateRecord(replay.hardState);
      await wal.resume({
        segmentMaxIndexes: replay.segmentMaxIndexes,
        lastIndex: window.lastIndex,
        hardStateFrame,
      });
      const where = opened.segments[0]?.file ?? join(dataDir, 'wal');
      const snapshot = snapshots.current;
      if (alignWithSnapshot(window, snapshot, where) && snapshot !== undefined) {
        const { index, term } = snapshot.meta;
        logger.warn(
          { index },
          'the newest snapshot replaces the whole log (its log reset was not yet durable)',
        );
        const reset = logResetRecord(index, term);
        await wal.append(
          { frames: [reset], lastIndex: index, maxIndex: index, hardStateFrame: undefined },
          true,
        );
      }
      checkCommitIndex(replay.hardState, window, opened.segments.at(-1)?.file ?? where);
      const storage = new FileStorage(lock, wal, snapshots, window);
      storage.hardState = replay.hardState;
      storage.writtenCommit = replay.hardState?.commit ?? 0;
      storage.snapshot = snapshot;
      logger.info(
        { dataDir, snapshotIndex: window.baseIndex, lastIndex: window.lastIndex },
        'storage recovered',
      );
      return storage;
    } catch (error) {
      await wal?.close().catch(() => {});
      await lock.release().catch(() => {});
      throw error;
    }
  }

  async load(): Promise<RecoveredState> {
    this.assertUsable();
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.window.entries() };
  }

  async persist(batch: PersistBatch): Promise<void> {
    this.assertUsable();
    if (this.isCommitOnly(batch)) {
      this.hardState = batch.hardState;
      this.deferredHardState = batch.hardState;
      return;
    }
    const write = this.apply(batch);
    const { snapshot, sync } = batch;
    const handedOver = this.enqueued.then(async () => {
      this.assertNotFailed();
      if (snapshot !== undefined) await this.saveLeaderSnapshot(snapshot);
      return { durable: this.wal.append(write, sync) };
    });
    this.enqueued = handedOver.then(
      () => {},
      () => {},
    );
    const { durable } = await handedOver;
    await durable;
    // Compaction is housekeeping: skipped once closing, so that a durable batch never reports a failure.
    if (snapshot !== undefined && !this.closed) await this.wal.compact(snapshot.meta.index);
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.assertUsable();
    if (!isNewLocalSnapshot(this.window, snapshot)) return;
    await this.snapshots.save(snapshot);
    const { index, term } = snapshot.meta;
    // A leader's snapshot may have overtaken this one meanwhile; then there is nothing left to do.
    if (index <= this.window.baseIndex) return;
    this.window.compactTo(index, term);
    this.snapshot = snapshot;
    if (!this.closed) await this.wal.compact(index);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.enqueued;
    const deferred = this.deferredHardState;
    this.deferredHardState = undefined;
    if (deferred !== undefined && this.failure === undefined) {
      const frame = hardStateRecord(deferred);
      const lastIndex = this.window.lastIndex;
      // Synced, so that a reopened WAL starts from durable bytes. Only a commit index: a failure to
      // write it loses nothing (the next start learns it again), so it does not fail the close.
      await this.wal
        .append({ frames: [frame], lastIndex, maxIndex: 0, hardStateFrame: frame }, true)
        .catch(() => {});
    }
    await this.snapshots.flush();
    try {
      await this.wal.close();
    } finally {
      await this.lock.release();
    }
  }

  /** Counters of the WAL since open: fsyncs, records and bytes written. */
  /** How long the write-ahead log's fsyncs took. */
  get fsyncLatency(): Histogram {
    return this.wal.fsyncLatency;
  }

  stats(): WalStats {
    return this.wal.stats();
  }

  /** Checks and applies `batch` to the in-memory state (all or nothing) and frames its WAL records. */
  private apply(batch: PersistBatch): WalWrite {
    // Encode first: an entry that cannot be encoded must leave nothing changed.
    const entryFrames = batch.entries.map(entryRecord);
    for (const [i, frame] of entryFrames.entries()) {
      if (frame.length - RECORD_HEADER_BYTES > WAL_RECORD_PAYLOAD_BYTES_MAX) {
        throw new RangeError(
          `entry ${batch.entries[i]?.index} encodes to ${frame.length} bytes, over ${WAL_RECORD_PAYLOAD_BYTES_MAX}`,
        );
      }
    }
    // A deferred commit-only hard state rides along unless the batch brings a newer one.
    const hardState = batch.hardState ?? this.deferredHardState;
    const hardStateFrame = hardState && hardStateRecord(hardState);
    const { window, logDiscarded } = applyPersistBatch(this.window, batch);
    this.window = window;
    this.deferredHardState = undefined;
    if (hardState !== undefined) this.writtenCommit = hardState.commit;
    if (batch.snapshot !== undefined) this.snapshot = batch.snapshot;
    if (batch.hardState !== undefined) this.hardState = batch.hardState;
    const frames: Uint8Array[] = [];
    let maxIndex = batch.entries.at(-1)?.index ?? 0;
    if (logDiscarded && batch.snapshot !== undefined) {
      const { index, term } = batch.snapshot.meta;
      frames.push(logResetRecord(index, term));
      maxIndex = Math.max(maxIndex, index);
    }
    frames.push(...entryFrames);
    if (hardStateFrame !== undefined) frames.push(hardStateFrame);
    return { frames, lastIndex: window.lastIndex, maxIndex, hardStateFrame };
  }

  /** A batch that only moves the commit index of the hard state last given, and passes no configuration entry (commit-only.ts). */
  private isCommitOnly(batch: PersistBatch): batch is PersistBatch & { hardState: HardState } {
    return isCommitOnly(batch, this.hardState, (commit) => this.commitsConfigChange(commit));
  }

  /**
   * Whether a committed entry after the written commit index, up to `to`,
   * changes the configuration: a restarted member rebuilds the configuration
   * in force from the entries up to its stored commit index, so that index is
   * written at once when it passes one.
   */
  private commitsConfigChange(to: LogIndex): boolean {
    // Committed entries never change, so each is looked at once, not again for every commit-only batch.
    const from = Math.max(this.writtenCommit, this.configCheckedTo, this.window.baseIndex);
    for (let index = from + 1; index <= to; index++) {
      if (this.window.entryAt(index)?.type === 'config') return true;
    }
    this.configCheckedTo = Math.max(this.configCheckedTo, to);
    return false;
  }

  /** The snapshot must be durable before the records after it; if it cannot be, nothing after it may be written. */
  private async saveLeaderSnapshot(snapshot: Snapshot): Promise<void> {
    try {
      await this.snapshots.save(snapshot);
    } catch (error) {
      this.failure ??= { reason: 'storage failed to save a snapshot earlier', cause: error };
      throw error;
    }
  }

  private assertUsable(): void {
    if (this.closed) throw new BatonError('BATON_STOPPED', 'storage is closed');
    this.assertNotFailed();
  }

  private assertNotFailed(): void {
    if (this.failure !== undefined) {
      throw new BatonError('BATON_STOPPED', this.failure.reason, { cause: this.failure.cause });
    }
  }
}

/**
 * Fits the replayed log to the newest snapshot. Returns true when the log must
 * be reset to end at the snapshot: it held no entry there, or one of another
 * term (a leader's snapshot whose log reset did not reach the disk).
 */
function alignWithSnapshot(window: LogWindow, snapshot: Snapshot | undefined, where: string): boolean {
  const snapshotIndex = snapshot?.meta.index ?? 0;
  if (window.baseIndex > snapshotIndex) {
    throw corruptAt(
      where,
      0,
      `the log resumes after index ${window.baseIndex} but the newest snapshot ends at ${snapshotIndex}`,
    );
  }
  if (snapshot === undefined) return false;
  const { index, term } = snapshot.meta;
  const held = window.termAt(index);
  if (window.lastIndex < index || (held !== undefined && held !== term)) {
    window.resetTo(index, term);
    return true;
  }
  if (index > window.baseIndex) window.compactTo(index, term);
  return false;
}

/** The hard state's commit index can never pass the log's end; if it does, committed entries are missing. */
function checkCommitIndex(hardState: HardState | undefined, window: LogWindow, file: string): void {
  if (hardState === undefined || hardState.commit <= window.lastIndex) return;
  throw corruptAt(
    file,
    0,
    `the hard state says index ${hardState.commit} is committed but the log ends at ${window.lastIndex}`,
  );
}
