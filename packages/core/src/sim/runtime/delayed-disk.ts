import type { Snapshot } from '../../raft/types.js';
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
 */
export class DelayedDisk implements LogStorage {
  /** Which entries are durable right now (for the apply checker). */
  readonly durableLog = new DurableLogView();
  private readonly inFlight: PersistBatch[] = [];
  /** Writes and snapshots scheduled but not done yet. */
  private queued = 0;
  /** When the newest write in flight becomes durable (global µs); later writes never finish before it. */
  private lastDoneUs = 0;

  constructor(private readonly opts: DelayedDiskOptions) {}

  /** Batches written but not durable yet, oldest first: what a crash now would lose. */
  writesInFlight(): readonly PersistBatch[] {
    return this.inFlight;
  }

  async load(): Promise<RecoveredState> {
    const recovered = await this.opts.durable.load();
    this.durableLog.reset(recovered);
    return recovered;
  }

  persist(batch: PersistBatch): Promise<void> {
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

  close(): Promise<void> {
    return this.opts.durable.close();
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
