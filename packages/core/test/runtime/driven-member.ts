// A TestCluster member carried out by the production ReadyDriver.
import type { Entry, Message, Snapshot } from '../../src/raft/types.js';
import { ReadyDriver, type ReadyDriverHost } from '../../src/runtime/ready-driver.js';
import type { PersistBatch } from '../../src/storage/log-storage.js';
import type { TestCluster } from '../raft/harness.js';

/**
 * A host whose writes complete at once (synchronously) unless `holdWrites`,
 * and whose snapshot saves complete only when the test says so.
 */
export class DrivenHost implements ReadyDriverHost {
  readonly sent: Message[] = [];
  readonly applied: Entry[] = [];
  readonly heldWrites: { batch: PersistBatch; done: (error?: unknown) => void }[] = [];
  readonly savingSnapshots: { snapshot: Snapshot; done: (error?: unknown) => void }[] = [];
  readonly fatalErrors: unknown[] = [];
  holdWrites = false;
  clockMs = 0;
  /** Returns the snapshot to take now, if any. */
  snapshotWanted: (applied: readonly Entry[]) => Snapshot | undefined = () => undefined;

  now(): number {
    return this.clockMs;
  }
  write(batch: PersistBatch, done: (error?: unknown) => void): void {
    if (this.holdWrites) this.heldWrites.push({ batch, done });
    else done();
  }
  send(m: Message): void {
    this.sent.push(m);
  }
  restore(): void {}
  apply(entries: readonly Entry[]): void {
    this.applied.push(...entries);
  }
  reads(): void {}
  onSoftState(): void {}
  onProgress(): void {}
  snapshotDue(): Snapshot | undefined {
    return this.snapshotWanted(this.applied);
  }
  saveSnapshot(snapshot: Snapshot, done: (error?: unknown) => void): void {
    this.savingSnapshots.push({ snapshot, done });
  }
  fatal(error: unknown): void {
    this.fatalErrors.push(error);
  }
}

/** `id` of cluster `c`, carried out by a ReadyDriver over a DrivenHost from now on. */
export function driveMember(c: TestCluster, id: string): { host: DrivenHost; driver: ReadyDriver } {
  c.holding.add(id);
  const host = new DrivenHost();
  const driver = new ReadyDriver(c.node(id), 100, host);
  return { host, driver };
}

/** Runs the cluster, pumping the driven member too, until nothing moves. */
export function runAll(c: TestCluster, driver: ReadyDriver, host: DrivenHost, roundsMax = 200): void {
  for (let i = 0; i < roundsMax; i++) {
    c.flush();
    driver.pump();
    c.queue.push(...host.sent.splice(0));
    if (c.queue.length === 0) return;
    c.deliverAll();
  }
}
