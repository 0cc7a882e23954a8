import { constants, type FileHandle, mkdir, open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '../errors.js';
import type { LogIndex } from '../raft/types.js';
import { Histogram } from '../status/histogram.js';
import type { StorageLogger } from './log-storage.js';
import type { ScannedSegment } from './wal-replay.js';
import { scanWal, syncDirectory } from './wal-scan.js';
import { type SegmentName, segmentFileName } from './wal-segments.js';

/** Default size past which the WAL starts a new segment. */
export const SEGMENT_BYTES_MAX_DEFAULT: number = 64 * 1024 * 1024;
/** Default bytes one group-commit round writes with its single write call (at least one caller's batch). */
export const ROUND_BYTES_MAX_DEFAULT: number = 16 * 1024 * 1024;
/** The largest payload of one WAL record; the scan treats a longer length field as damage. */
export const WAL_RECORD_PAYLOAD_BYTES_MAX: number = 64 * 1024 * 1024;

export interface WalOptions {
  readonly logger: StorageLogger;
  /** Start a new segment once the active one would grow past this. Default 64 MiB. */
  readonly segmentBytesMax?: number;
  /** Bytes one round writes at most. Default 16 MiB. */
  readonly roundBytesMax?: number;
  /** Runs before each write round, synchronously; a throw fails the round (e.g. the dataDir lock was lost). */
  readonly beforeRound?: () => void;
}

/** Records to append, already framed, with what the WAL needs to know about them. */
export interface WalWrite {
  readonly frames: readonly Uint8Array[];
  /** The log's last index once these records apply. */
  readonly lastIndex: LogIndex;
  /** The highest index these records mention (0 if none). */
  readonly maxIndex: LogIndex;
  /** The hard-state frame among `frames`, if any; the newest is repeated at the start of each new segment. */
  readonly hardStateFrame: Uint8Array | undefined;
}

/** The replayed state the WAL continues from (see replayWal). */
export interface WalResume {
  readonly segmentMaxIndexes: readonly LogIndex[];
  readonly lastIndex: LogIndex;
  readonly hardStateFrame: Uint8Array | undefined;
}

/** Counters since open, for benchmarks: fsyncs (files and directories), records and bytes written. */
export interface WalStats {
  readonly fsyncs: number;
  readonly records: number;
  readonly bytes: number;
}

interface Segment extends SegmentName {
  maxIndex: LogIndex;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface PendingWrite extends Waiter {
  readonly write: WalWrite;
  readonly bytes: number;
  readonly sync: boolean;
}

/**
 * The write-ahead log: segment files in one directory, and the only place
 * that writes them. Appends use group commit: calls made while a round is
 * being written and fsynced wait, and the next round writes all of them with
 * one write call and one fsync. Rounds, and compactions between them, run
 * in call order. After an I/O error the WAL refuses all further work: a
 * failed fsync leaves the file's state unknown, and retrying it can report
 * success for data that was lost.
 */
export class Wal {
  private readonly segments: Segment[] = [];
  private active: FileHandle | undefined;
  /**
   * The active segment opened a second time with O_DSYNC, where the platform
   * has it: a round that must be durable and follows only durable records is
   * written through it, so the write and its flush are one system call and
   * one trip through libuv's thread pool instead of two.
   */
  private activeDsync: FileHandle | undefined;
  private activeBytes = 0;
  private lastIndex: LogIndex = 0;
  private hardStateFrame: Uint8Array | undefined;
  private unsynced = false;
  private readonly queue: PendingWrite[] = [];
  private compactThrough: LogIndex = 0;
  private compactWaiters: Waiter[] = [];
  private running: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;
  private counters = { fsyncs: 0, records: 0, bytes: 0 };
  /** How long each fsync of the active segment took (for the status page's metrics). */
  readonly fsyncLatency: Histogram = new Histogram();
  private readonly segmentBytesMax: number;
  private readonly roundBytesMax: number;
  private readonly beforeRound: (() => void) | undefined;

  private constructor(
    private readonly dir: string,
    private readonly names: readonly SegmentName[],
    private readonly logger: StorageLogger,
    options: WalOptions,
  ) {
    this.segmentBytesMax = options.segmentBytesMax ?? SEGMENT_BYTES_MAX_DEFAULT;
    this.roundBytesMax = options.roundBytesMax ?? ROUND_BYTES_MAX_DEFAULT;
    this.beforeRound = options.beforeRound;
  }

  /**
   * Reads every segment in `dir` (created if missing). A torn tail of the
   * last segment — a partial or damaged last record, or zeros, with no valid
   * record after it — is cut off and logged; damage anywhere else, or a
   * missing segment, throws `BatonError('BATON_STORAGE_CORRUPT')` naming the
   * file and byte offset. Call {@link resume} before appending.
   */
  static async open(dir: string, options: WalOptions): Promise<{ wal: Wal; segments: ScannedSegment[] }> {
    await mkdir(dir, { recursive: true });
    const { names, segments } = await scanWal(dir, WAL_RECORD_PAYLOAD_BYTES_MAX, options.logger);
    return { wal: new Wal(dir, names, options.logger, options), segments };
  }

  /** Continues after the replayed state; creates the first segment of an empty directory. */
  async resume(state: WalResume): Promise<void> {
    this.lastIndex = state.lastIndex;
    this.hardStateFrame = state.hardStateFrame;
    const last = this.names.at(-1);
    if (last === undefined) {
      await this.createSegment(1);
      return;
    }
    this.names.forEach((name, i) => {
      this.segments.push({ ...name, maxIndex: state.segmentMaxIndexes[i] ?? name.firstIndex - 1 });
    });
    this.active = await open(join(this.dir, last.file), 'r+');
    this.activeDsync = await openDsync(join(this.dir, last.file));
    this.activeBytes = (await this.active.stat()).size;
    // The previous process may have left bytes it never synced (a SIGKILL): an O_DSYNC write
    // flushes only its own range, so the first durable round must datasync the whole file.
    this.unsynced = this.activeBytes > 0;
  }

  /** Appends `write`; resolves once written, and fsynced when `sync`. */
  append(write: WalWrite, sync: boolean): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    let bytes = 0;
    for (const frame of write.frames) bytes += frame.length;
    return new Promise((resolve, reject) => {
      this.queue.push({ write, bytes, sync, resolve, reject });
      this.kick();
    });
  }

  /**
   * Deletes the oldest segments while every index they mention is at or below
   * `index` — never the active one. Call only once a snapshot at `index` is
   * durable. Records appended before this call are fsynced first, so a log
   * reset is never lost while the segments it superseded are gone.
   */
  compact(index: LogIndex): Promise<void> {
    const refusal = this.refusal();
    if (refusal !== undefined) return Promise.reject(refusal);
    this.compactThrough = Math.max(this.compactThrough, index);
    return new Promise((resolve, reject) => {
      this.compactWaiters.push({ resolve, reject });
      this.kick();
    });
  }

  stats(): WalStats {
    return { ...this.counters };
  }

  /** Finishes queued work, then closes the active segment. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running !== undefined) await this.running;
    const handles = [this.active, this.activeDsync];
    this.active = undefined;
    this.activeDsync = undefined;
    await closeAll(handles);
  }

  private refusal(): BatonError | undefined {
    if (this.failure !== undefined) {
      return new BatonError('BATON_STOPPED', 'the write-ahead log failed earlier', { cause: this.failure });
    }
    if (this.closed) return new BatonError('BATON_STOPPED', 'the write-ahead log is closed');
    return undefined;
  }

  private kick(): void {
    if (this.running !== undefined) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // Work may have arrived after run() last looked and before this callback: a caller resumed
      // by a resolved append can queue more in between.
      if (this.failure === undefined && (this.queue.length > 0 || this.compactWaiters.length > 0))
        this.kick();
    });
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0 || this.compactWaiters.length > 0) {
      const round = this.takeRound();
      const waiters = this.compactWaiters.splice(0);
      try {
        if (round.length > 0) {
          this.beforeRound?.();
          await this.writeRound(round);
        }
        if (waiters.length > 0) await this.compactNow();
      } catch (error) {
        this.fail(error, round, waiters);
        return;
      }
      for (const pending of round) pending.resolve();
      for (const waiter of waiters) waiter.resolve();
    }
  }

  private takeRound(): PendingWrite[] {
    let count = 0;
    let bytes = 0;
    for (const pending of this.queue) {
      if (count > 0 && bytes + pending.bytes > this.roundBytesMax) break;
      count++;
      bytes += pending.bytes;
    }
    return this.queue.splice(0, count);
  }

  /** One write call per segment touched (one, unless the round fills a segment), then one fsync. */
  private async writeRound(round: readonly PendingWrite[]): Promise<void> {
    let chunk: Uint8Array[] = [];
    let chunkBytes = 0;
    for (const pending of round) {
      const filled = this.activeBytes + chunkBytes;
      if (filled > 0 && filled + pending.bytes > this.segmentBytesMax) {
        await this.writeChunk(chunk, chunkBytes, false);
        await this.rollOver();
        chunk = this.hardStateFrame === undefined ? [] : [this.hardStateFrame];
        chunkBytes = this.hardStateFrame?.length ?? 0;
      }
      chunk.push(...pending.write.frames);
      chunkBytes += pending.bytes;
      const segment = this.segments.at(-1)!;
      segment.maxIndex = Math.max(segment.maxIndex, pending.write.maxIndex);
      this.lastIndex = pending.write.lastIndex;
      this.hardStateFrame = pending.write.hardStateFrame ?? this.hardStateFrame;
    }
    const sync = round.some((pending) => pending.sync);
    await this.writeChunk(chunk, chunkBytes, sync);
    if (sync) await this.syncActive();
  }

  /**
   * Writes `chunk` at the end of the active segment. With `durable`, and
   * nothing written before it still unsynced, through the O_DSYNC handle: the
   * chunk is on disk when the write returns. Otherwise through the plain
   * handle, for syncActive to flush (an O_DSYNC write flushes only its own
   * bytes, and a durable record after an unsynced one could leave a hole).
   */
  private async writeChunk(
    chunk: readonly Uint8Array[],
    chunkBytes: number,
    durable: boolean,
  ): Promise<void> {
    if (chunkBytes === 0) return;
    const buffer = Buffer.concat(chunk, chunkBytes);
    const dsync = durable && !this.unsynced ? this.activeDsync : undefined;
    const handle = dsync ?? this.active!;
    const started = performance.now();
    let written = 0;
    while (written < chunkBytes) {
      const { bytesWritten } = await handle.write(
        buffer,
        written,
        chunkBytes - written,
        this.activeBytes + written,
      );
      written += bytesWritten;
    }
    this.activeBytes += chunkBytes;
    if (dsync !== undefined) {
      this.fsyncLatency.observeMs(performance.now() - started);
      this.counters.fsyncs++;
    } else {
      this.unsynced = true;
    }
    this.counters.records += chunk.length;
    this.counters.bytes += chunkBytes;
  }

  private async syncActive(): Promise<void> {
    if (!this.unsynced) return;
    const started = performance.now();
    await this.active!.datasync();
    this.fsyncLatency.observeMs(performance.now() - started);
    this.counters.fsyncs++;
    this.unsynced = false;
  }

  /** A full segment is fsynced before the next one exists, so only the last segment can ever be torn. */
  private async rollOver(): Promise<void> {
    await this.syncActive();
    const handles = [this.active, this.activeDsync];
    this.active = undefined;
    this.activeDsync = undefined;
    await closeAll(handles);
    await this.createSegment(this.segments.at(-1)!.seq + 1);
  }

  private async createSegment(seq: number): Promise<void> {
    const firstIndex = this.lastIndex + 1;
    const file = segmentFileName(seq, firstIndex);
    this.active = await open(join(this.dir, file), 'wx');
    this.activeDsync = await openDsync(join(this.dir, file));
    this.activeBytes = 0;
    this.segments.push({ file, seq, firstIndex, maxIndex: firstIndex - 1 });
    // The new name must survive a crash before anything is acknowledged from the new file.
    await syncDirectory(this.dir);
    this.counters.fsyncs++;
  }

  private async compactNow(): Promise<void> {
    await this.syncActive();
    const through = this.compactThrough;
    const deleted: string[] = [];
    while (this.segments.length > 1 && this.segments[0]!.maxIndex <= through) {
      const segment = this.segments.shift()!;
      await unlink(join(this.dir, segment.file));
      deleted.push(segment.file);
    }
    if (deleted.length > 0) {
      // Make the deletions durable too, so a crash cannot bring old segments back.
      await syncDirectory(this.dir);
      this.counters.fsyncs++;
      this.logger.info({ dir: this.dir, through, deleted }, 'WAL segments compacted');
    }
  }

  private fail(error: unknown, round: readonly Waiter[], waiters: readonly Waiter[]): void {
    this.failure = error;
    this.logger.warn({ dir: this.dir, err: error }, 'write-ahead log failed; storage stops');
    for (const waiter of [...round, ...waiters, ...this.queue.splice(0), ...this.compactWaiters.splice(0)]) {
      waiter.reject(error);
    }
  }
}

/**
 * `path` opened for writing with O_DSYNC on Linux, else undefined. Not on
 * macOS: there libuv's datasync is F_FULLFSYNC, which also flushes the
 * drive's cache, and an O_DSYNC write does not.
 */
async function openDsync(path: string): Promise<FileHandle | undefined> {
  const { O_DSYNC, O_WRONLY } = constants;
  if (process.platform !== 'linux' || O_DSYNC === undefined) return undefined;
  return await open(path, O_WRONLY | O_DSYNC);
}

/** Closes every handle, even when one fails to close; rethrows the first failure. */
async function closeAll(handles: readonly (FileHandle | undefined)[]): Promise<void> {
  const results = await Promise.allSettled(handles.map((handle) => handle?.close()));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
