import { BatonError } from '../errors.js';
import type { HardState, Snapshot } from '../raft/types.js';
import type { LogStorage, PersistBatch, RecoveredState } from './log-storage.js';
import { applyPersistBatch, isNewLocalSnapshot, LogWindow } from './log-window.js';

/** The data a MemoryStorage holds; shared with the instance {@link MemoryStorage.reopen} returns. */
interface MemoryData {
  window: LogWindow;
  hardState: HardState | undefined;
  snapshot: Snapshot | undefined;
}

/**
 * LogStorage kept in memory, for `dataDir: ':memory:'` and tests. Same rules
 * as FileStorage, no I/O: everything persisted counts as durable at once, and
 * survives {@link MemoryStorage.reopen} (a simulated restart).
 */
export class MemoryStorage implements LogStorage {
  private readonly data: MemoryData;
  private closed = false;

  constructor() {
    this.data = { window: new LogWindow(), hardState: undefined, snapshot: undefined };
  }

  /** A storage over the same data, as a restarted member would find it. Closes this one first. */
  async reopen(): Promise<MemoryStorage> {
    await this.close();
    const next = new MemoryStorage();
    Object.assign(next.data, this.data);
    return next;
  }

  async load(): Promise<RecoveredState> {
    this.assertOpen();
    const { window, hardState, snapshot } = this.data;
    return { hardState, snapshot, entries: window.entries() };
  }

  async persist(batch: PersistBatch): Promise<void> {
    this.assertOpen();
    const { window } = applyPersistBatch(this.data.window, batch);
    this.data.window = window;
    if (batch.snapshot !== undefined) this.data.snapshot = batch.snapshot;
    if (batch.hardState !== undefined) this.data.hardState = batch.hardState;
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    this.assertOpen();
    if (!isNewLocalSnapshot(this.data.window, snapshot)) return;
    this.data.snapshot = snapshot;
    this.data.window.compactTo(snapshot.meta.index, snapshot.meta.term);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private assertOpen(): void {
    if (this.closed) throw new BatonError('BATON_STOPPED', 'storage is closed');
  }
}
