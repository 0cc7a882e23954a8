import type { Entry, LogIndex, Snapshot, Term } from '../raft/types.js';
import type { PersistBatch } from './log-storage.js';

/**
 * The entries a storage holds after its snapshot, with the rules every
 * storage shares: consecutive indexes, overwrite of a suffix, the snapshot
 * rule of the Raft paper §7 and compaction. Pure and synchronous, so that
 * MemoryStorage, FileStorage and WAL replay cannot disagree about them.
 *
 * `baseIndex` is the index just before the first held entry (the snapshot's
 * index, or 0); `baseTerm` its term when known.
 */
export class LogWindow {
  private base: LogIndex;
  private baseTermValue: Term | undefined;
  private items: Entry[] = [];

  constructor(baseIndex: LogIndex = 0, baseTerm: Term | undefined = baseIndex === 0 ? 0 : undefined) {
    this.base = baseIndex;
    this.baseTermValue = baseTerm;
  }

  get baseIndex(): LogIndex {
    return this.base;
  }

  get baseTerm(): Term | undefined {
    return this.baseTermValue;
  }

  get lastIndex(): LogIndex {
    return this.base + this.items.length;
  }

  /** The term of the entry at `index`, the base's term at `baseIndex`, else undefined. */
  termAt(index: LogIndex): Term | undefined {
    if (index === this.base) return this.baseTermValue;
    return this.items[index - this.base - 1]?.term;
  }

  /** The held entry at `index`, else undefined. */
  entryAt(index: LogIndex): Entry | undefined {
    return index > this.base ? this.items[index - this.base - 1] : undefined;
  }

  /** A copy of the held entries, in order. */
  entries(): Entry[] {
    return this.items.slice();
  }

  /** An independent copy, so a batch can be tried on it and dropped if it breaks a rule. */
  clone(): LogWindow {
    const copy = new LogWindow(this.base, this.baseTermValue);
    copy.items = this.items.slice();
    return copy;
  }

  /**
   * Appends consecutive `entries`; the first may replace a held entry, which
   * discards it and every later one. Throws RangeError, changing nothing, on a
   * gap, non-consecutive indexes, or an index at or below `baseIndex`.
   */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    if (first.index <= this.base || first.index > this.lastIndex + 1) {
      throw new RangeError(
        `entry index ${first.index} must be in ${this.base + 1}..${this.lastIndex + 1} (after the snapshot, no gap)`,
      );
    }
    entries.forEach((entry, k) => {
      if (entry.index !== first.index + k) {
        throw new RangeError(
          `entries are not consecutive: index ${entry.index} follows ${first.index + k - 1}`,
        );
      }
    });
    this.items.length = first.index - this.base - 1;
    for (const entry of entries) this.items.push(entry);
  }

  /**
   * Installs a leader's snapshot (paper §7): entries up to `index` go; later
   * ones stay only if the held entry at `index` has `term`. Returns true when
   * the whole log was discarded. Throws RangeError unless `index` > baseIndex.
   */
  installSnapshot(index: LogIndex, term: Term): boolean {
    if (index <= this.base) {
      throw new RangeError(`snapshot index ${index} is not above the stored snapshot's ${this.base}`);
    }
    const keepsLog = this.termAt(index) === term;
    if (keepsLog) this.items = this.items.slice(index - this.base);
    else this.items = [];
    this.base = index;
    this.baseTermValue = term;
    return !keepsLog;
  }

  /**
   * Drops entries up to `index`, covered by a durable snapshot of the applied
   * state. No-op when `index` <= baseIndex. Throws RangeError if `index` is
   * past the last entry or the held entry there has another term.
   */
  compactTo(index: LogIndex, term: Term): void {
    if (index <= this.base) return;
    assertHoldsEntry(this, index, term);
    this.items = this.items.slice(index - this.base);
    this.base = index;
    this.baseTermValue = term;
  }

  /** Forgets every held entry: the log is now empty after `index` (whose term may be unknown). */
  resetTo(index: LogIndex, term: Term | undefined): void {
    this.items = [];
    this.base = index;
    this.baseTermValue = term;
  }
}

/** What {@link applyPersistBatch} did: the window to keep, and whether the snapshot discarded the log. */
export interface AppliedBatch {
  readonly window: LogWindow;
  readonly logDiscarded: boolean;
}

/**
 * Applies a batch's snapshot and entries to `window` as LogStorage.persist
 * promises. All or nothing: a batch that breaks a rule throws RangeError and
 * leaves `window` as it was.
 */
export function applyPersistBatch(window: LogWindow, batch: PersistBatch): AppliedBatch {
  if (batch.snapshot === undefined) {
    window.append(batch.entries);
    return { window, logDiscarded: false };
  }
  // A snapshot and its entries must succeed together, so try them on a copy.
  const next = window.clone();
  const logDiscarded = next.installSnapshot(batch.snapshot.meta.index, batch.snapshot.meta.term);
  next.append(batch.entries);
  return { window: next, logDiscarded };
}

/**
 * Whether a snapshot the member took of its own state should be stored:
 * false when the stored one already covers it. Throws RangeError when it
 * contradicts the log (an index past the last entry, or another term).
 */
export function isNewLocalSnapshot(window: LogWindow, snapshot: Snapshot): boolean {
  const { index, term } = snapshot.meta;
  if (index <= window.baseIndex) return false;
  assertHoldsEntry(window, index, term);
  return true;
}

/** A snapshot of the applied state covers an entry the log holds: same index, same term. */
function assertHoldsEntry(window: LogWindow, index: LogIndex, term: Term): void {
  const held = window.termAt(index);
  if (held === term) return;
  throw new RangeError(
    held === undefined
      ? `snapshot index ${index} is past the last entry ${window.lastIndex}`
      : `snapshot term ${term} differs from the term ${held} of entry ${index}`,
  );
}
