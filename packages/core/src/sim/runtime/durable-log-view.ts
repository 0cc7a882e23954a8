import type { LogIndex, Snapshot, Term } from '../../raft/types.js';
import type { PersistBatch, RecoveredState } from '../../storage/log-storage.js';

/**
 * Which entries a member's disk holds durably, kept next to the simulated
 * disk so a checker can ask synchronously — from inside the state machine's
 * apply() — whether an entry is durable yet. It follows the LogStorage rules:
 * an entry replaces the stored one at its index and every later one, and a
 * snapshot covers everything up to its index.
 */
export class DurableLogView {
  private snapshotIndex: LogIndex = 0;
  private readonly terms = new Map<LogIndex, Term>();

  /** Starts over from what a member recovered on start. */
  reset(recovered: RecoveredState): void {
    this.terms.clear();
    this.snapshotIndex = recovered.snapshot?.meta.index ?? 0;
    for (const e of recovered.entries) this.terms.set(e.index, e.term);
  }

  /** A batch became durable. */
  persisted(batch: PersistBatch): void {
    if (batch.snapshot) {
      const { index, term } = batch.snapshot.meta;
      // Entries after a leader's snapshot survive only if the log agrees at its index.
      if (this.terms.get(index) !== term) this.terms.clear();
      this.covered(index);
    }
    const first = batch.entries[0];
    if (first) for (const i of [...this.terms.keys()]) if (i >= first.index) this.terms.delete(i);
    for (const e of batch.entries) this.terms.set(e.index, e.term);
  }

  /** The member's own snapshot became durable. */
  snapshotSaved(snapshot: Snapshot): void {
    if (snapshot.meta.index > this.snapshotIndex) this.covered(snapshot.meta.index);
  }

  /** Is the entry (index, term) durable — in the log, or covered by the snapshot? */
  holds(index: LogIndex, term: Term): boolean {
    return index <= this.snapshotIndex || this.terms.get(index) === term;
  }

  private covered(index: LogIndex): void {
    this.snapshotIndex = index;
    for (const i of [...this.terms.keys()]) if (i <= index) this.terms.delete(i);
  }
}
