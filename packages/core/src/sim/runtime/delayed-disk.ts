import type { HardState, LogIndex, Snapshot } from '../../raft/types.js';
import { isCommitOnly } from '../../storage/commit-only.js';
import type { LogStorage, PersistBatch, RecoveredState } from '../../storage/log-storage.js';
import type { MemoryStorage } from '../../storage/memory-storage.js';
import { US_PER_MS } from '../sim-clock.js';
import { DurableLogView } from './durable-log-view.js';

/** Most writes one member may have on its simulated disk at once (NodeLoop keeps one in flight). */
export const DISK_WRITES_IN_FLIGHT_MAX = 64;

export interface DelayedDiskOptions {
  /** What the member's disk holds durably; a crash keeps exactly this. */
  readonly durable: MemoryStorage;
  /** Global simulated time, µs. */
  readonly nowUs: () => number;
  /** How long a write takes right now, ms (read at each persist: the delay may change). */
  readonly delayMs: () => number;
  /**
   * Runs `job` at global time `atUs` — later if the member is paused then, and
   * never if the member crashed meanwhile (that is what loses the write).
   */
  readonly schedule: (atUs: number, job: () => void) => void;
}

/**
 * A member's disk in RuntimeSim, with the crash semantics of a real fsync:
 * a persisted batch becomes durable (reaches `durable`) only when its write
 * delay ends, and only then does persist() resolve. A crash before that drops
 * the batch and every later one. Writes become durable in the order they were
 * made, even when the delay shrinks between them. With no delay and nothing in
 * flight, a write is durable at once, as MemoryStorage alone would be.
 *
 * Like FileStorage, it writes a hard state that only moves the commit index
 * (storage/commit-only.ts) with the next batch instead of on its own, so a
 * crash before that batch loses it and the member restarts behind.
 */
export class DelayedDisk implements LogStorage {
  /** Which entries are durable right now (for the apply checker). */
  readonly durableLog = new DurableLogView();
  private readonly inFlight: PersistBatch[] = [];
  /** Writes and snapshots scheduled but not done yet. */
  private queued = 0;
  /** When the newest write in flight becomes durable (global µs); later writes never finish before it. */
  private lastDoneUs = 0;
  /** The hard state last handed to the disk, deferred or not. */
  private stored: HardState | undefined;
  /** A commit-only hard state not written yet: it rides the next batch (or the close). */
  private deferred: HardState | undefined;
  /** The commit index of the newest hard state written (not deferred). */
  private writtenCommit: LogIndex = 0;
  /** Indexes of the configuration entries in the log past the written commit (a commit past one is written at once). */
  private readonly configIndexes: LogIndex[] = [];

  constructor(private readonly opts: DelayedDiskOptions) {}

  /** Batches written but not durable yet, oldest first: what a crash now would lose. */
  writesInFlight(): readonly PersistBatch[] {
    return this.inFlight;
  }

  async load(): Promise<RecoveredState> {
    const recovered = await this.opts.durable.load();
    this.durableLog.reset(recovered);
    this.stored = recovered.hardState;
    this.writtenCommit = recovered.hardState?.commit ?? 0;
    this.noteConfigEntries(recovered.entries);
    return recovered;
  }

  persist(batch: PersistBatch): Promise<void> {
    if (isCommitOnly(batch, this.stored, (commit) => this.passesConfig(commit))) {
      this.stored = batch.hardState;
      this.deferred = batch.hardState;
      return Promise.resolve();
    }
    this.noteConfigEntries(batch.entries);
    const hardState = batch.hardState ?? this.deferred;
    this.deferred = undefined;
    if (hardState !== undefined) {
      this.stored = hardState;
      this.writtenCommit = hardState.commit;
    }
    return this.persistNow(hardState === batch.hardState ? batch : { ...batch, hardState });
  }

  private persistNow(batch: PersistBatch): Promise<void> {
    const delayMs = this.opts.delayMs();
    if (delayMs <= 0 && this.queued === 0) return this.write(batch);
    if (this.inFlight.length >= DISK_WRITES_IN_FLIGHT_MAX) {
      return Promise.reject(new RangeError(`over ${DISK_WRITES_IN_FLIGHT_MAX} simulated writes in flight`));
    }
    this.inFlight.push(batch);
    return this.after(Math.max(0, delayMs), () => {
      this.inFlight.shift();
      return this.write(batch);
    });
  }

  saveSnapshot(snapshot: Snapshot): Promise<void> {
    // Storage calls take effect in call order: a snapshot waits behind the writes in flight.
    if (this.queued === 0) return this.writeSnapshot(snapshot);
    return this.after(0, () => this.writeSnapshot(snapshot));
  }

  async close(): Promise<void> {
    // As FileStorage: a deferred commit index is written (and synced) at close; losing it loses nothing.
    const deferred = this.deferred;
    this.deferred = undefined;
    if (deferred !== undefined)
      await this.persistNow({ entries: [], hardState: deferred, sync: true }).catch(() => {});
    return this.opts.durable.close();
  }

  /**
   * Keeps `configIndexes` to the configuration entries of the log as it now
   * stands past the written commit index, as FileStorage looks only at its
   * log: entries at or after the first new index were replaced. (Indexes a
   * leader's snapshot discarded stay: that only writes a commit sooner.)
   */
  private noteConfigEntries(entries: readonly { type: string; index: LogIndex }[]): void {
    const first = entries[0]?.index;
    if (first !== undefined) {
      const kept = this.configIndexes.filter((index) => index < first && index > this.writtenCommit);
      this.configIndexes.splice(0, this.configIndexes.length, ...kept);
    }
    for (const entry of entries) if (entry.type === 'config') this.configIndexes.push(entry.index);
  }

  /** Whether a configuration entry lies past the written commit index, up to `commit`. */
  private passesConfig(commit: LogIndex): boolean {
    return this.configIndexes.some((index) => index > this.writtenCommit && index <= commit);
  }

  private async write(batch: PersistBatch): Promise<void> {
    await this.opts.durable.persist(batch);
    this.durableLog.persisted(batch);
  }

  private async writeSnapshot(snapshot: Snapshot): Promise<void> {
    await this.opts.durable.saveSnapshot(snapshot);
    this.durableLog.snapshotSaved(snapshot);
  }

  /** Runs `write` once `delayMs` has passed and every earlier write is done; settles with it. */
  private after(delayMs: number, write: () => Promise<void>): Promise<void> {
    const atUs = Math.max(this.opts.nowUs() + delayMs * US_PER_MS, this.lastDoneUs);
    this.lastDoneUs = atUs;
    this.queued++;
    return new Promise((resolve, reject) =>
      this.opts.schedule(atUs, () => {
        this.queued--;
        write().then(resolve, reject);
      }),
    );
  }
}
