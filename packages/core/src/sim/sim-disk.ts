import type { Entry, HardState, LogIndex, Snapshot } from '../raft/types.js';
import type { DataDirIdentity } from '../storage/member-identity.js';
import { InvariantViolation } from './invariant-violation.js';

/** What a member recovers from its disk after a crash: exactly what `new RawNode(options, restored)` takes. */
export interface DurableState {
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
}

/**
 * One write to the simulated disk.
 * - `snapshot`: a snapshot received from a leader; it replaces the whole log.
 * - `compact`: the member's own snapshot of applied state; entries it covers are dropped.
 * - `entries`: appended; an entry whose index is already stored replaces it and every later one.
 * - `hardState`: replaces the stored hard state.
 */
export type DiskWrite =
  | { readonly kind: 'snapshot'; readonly snapshot: Snapshot }
  | { readonly kind: 'compact'; readonly snapshot: Snapshot }
  | { readonly kind: 'entries'; readonly entries: readonly Entry[] }
  | { readonly kind: 'hardState'; readonly hardState: HardState };

/**
 * A member's disk with an operating-system write buffer. Writes land in the
 * buffer; `beginSync` starts an fsync of everything buffered so far, and
 * `completeSync` (called by the simulator once the fsync latency has passed)
 * makes exactly those writes durable. `crash` loses every write that no
 * completed sync covers — including writes whose fsync was still running —
 * and `recover` hands back the durable state only.
 *
 * Writes are checked as they become durable: a gap in the log or a snapshot
 * that goes backwards is a bug in the core's Ready, reported as an
 * InvariantViolation ('storage').
 */
export class SimDisk {
  readonly pendingWritesMax: number;
  /**
   * Whose dataDir this is (storage/member-identity.ts), recorded at the first
   * start and durable at once: FileStorage fsyncs it before any log record.
   */
  identity: DataDirIdentity | undefined;
  private hardState: HardState | undefined;
  private snapshot: Snapshot | undefined;
  private entries: Entry[] = [];
  private pending: DiskWrite[] = [];
  /** Writes already covered by an fsync that has started but not completed. */
  private syncingCount = 0;
  private nextSyncId = 1;
  /** Syncs in flight, oldest first: id and how many pending writes each covers. */
  private syncs: { id: number; count: number }[] = [];

  constructor(initial?: Partial<DurableState>, pendingWritesMax = 100_000) {
    this.hardState = initial?.hardState;
    this.snapshot = initial?.snapshot;
    this.entries = initial?.entries ? initial.entries.slice() : [];
    this.pendingWritesMax = pendingWritesMax;
  }

  /** How many writes would be lost by a crash now. */
  get unsyncedCount(): number {
    return this.pending.length;
  }

  /** Buffers a write; it is not durable until a sync that started after it completes. */
  write(op: DiskWrite): void {
    if (this.pending.length >= this.pendingWritesMax) {
      throw new RangeError(`disk write buffer full (pendingWritesMax ${this.pendingWritesMax})`);
    }
    this.pending.push(op);
  }

  /** Starts an fsync of every write buffered so far; returns its id for `completeSync`. */
  beginSync(): number {
    const id = this.nextSyncId++;
    const count = this.pending.length - this.syncingCount;
    this.syncs.push({ id, count });
    this.syncingCount = this.pending.length;
    return id;
  }

  /** Finishes fsync `id`: its writes (and those of earlier syncs) become durable. Stale ids are ignored. */
  completeSync(id: number): void {
    while (this.syncs.length > 0 && (this.syncs[0] as { id: number }).id <= id) {
      const sync = this.syncs.shift() as { id: number; count: number };
      const ops = this.pending.splice(0, sync.count);
      this.syncingCount -= sync.count;
      for (const op of ops) this.applyDurably(op);
    }
  }

  /** Whether fsync `id` is still running (it was begun and neither completed nor lost to a crash). */
  isSyncing(id: number): boolean {
    return this.syncs.some((s) => s.id === id);
  }

  /** Power loss: every buffered write, synced or being synced, is gone; stale sync ids stay ignored. */
  crash(): void {
    this.pending = [];
    this.syncs = [];
    this.syncingCount = 0;
  }

  /**
   * Drops the last `count` durable entries, as a disk that acknowledged an
   * fsync it never did would: for tests that the simulator's durability
   * check fires. The simulator itself never calls it.
   */
  loseDurableTail(count: number): void {
    this.entries.splice(Math.max(0, this.entries.length - count));
  }

  /** A copy of the durable state, as a restarted member would read it. */
  recover(): DurableState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries.slice() };
  }

  /** The durable state without copying (for checkers and tests; do not modify). */
  peekDurable(): DurableState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: this.entries };
  }

  private applyDurably(op: DiskWrite): void {
    switch (op.kind) {
      case 'hardState':
        this.hardState = op.hardState;
        return;
      case 'snapshot':
        this.checkSnapshotForward(op.snapshot);
        this.snapshot = op.snapshot;
        this.entries = [];
        return;
      case 'compact':
        // A compaction older than a snapshot installed meanwhile has nothing left to drop.
        if (this.snapshot && op.snapshot.meta.index <= this.snapshot.meta.index) return;
        this.snapshot = op.snapshot;
        this.entries = this.entries.filter((e) => e.index > op.snapshot.meta.index);
        return;
      case 'entries':
        this.appendEntries(op.entries);
        return;
    }
  }

  private appendEntries(batch: readonly Entry[]): void {
    const first = batch[0];
    if (first === undefined) return;
    const snapshotIndex: LogIndex = this.snapshot?.meta.index ?? 0;
    const lastIndex = snapshotIndex + this.entries.length;
    if (first.index <= snapshotIndex || first.index > lastIndex + 1) {
      throw new InvariantViolation(
        'storage',
        `entries from ${first.index} do not extend a log of (${snapshotIndex}, ${lastIndex}]`,
      );
    }
    batch.forEach((e, i) => {
      if (e.index !== first.index + i)
        throw new InvariantViolation('storage', `entries batch has a gap at ${e.index}`);
    });
    this.entries.length = first.index - snapshotIndex - 1;
    for (const e of batch) this.entries.push(e);
  }

  private checkSnapshotForward(snapshot: Snapshot): void {
    const current = this.snapshot?.meta.index ?? 0;
    if (snapshot.meta.index < current) {
      throw new InvariantViolation('storage', `snapshot at ${snapshot.meta.index} goes back from ${current}`);
    }
  }
}
