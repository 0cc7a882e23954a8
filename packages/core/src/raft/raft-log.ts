import type { Entry, LogIndex, Snapshot, Term } from './types.js';

/**
 * The log as one member sees it: a compaction point (the last snapshot's
 * index and term), the entries after it, the commit index, and how far the
 * driver has persisted and applied.
 *
 * Every entry of the member's log is kept in memory; snapshots bound its size.
 * Entries above `stableIndex` have not been persisted yet and are handed out
 * by `unstableEntries()`.
 */
export class RaftLog {
  snapshotIndex: LogIndex = 0;
  snapshotTerm: Term = 0;
  /** entries[i] has index snapshotIndex + 1 + i. */
  private entries: Entry[] = [];
  committed: LogIndex = 0;
  /** Highest index handed to the driver to apply (it may not have finished yet). */
  applying: LogIndex = 0;
  /** Highest index the driver has applied (acknowledged through advance). */
  applied: LogIndex = 0;
  /** Highest index known to be durable. */
  stableIndex: LogIndex = 0;
  /** A snapshot received from a leader that the driver has not persisted yet. */
  pendingSnapshot: Snapshot | undefined;

  /** Rebuilds the log from what storage recovered. */
  static restore(snapshot: Snapshot | undefined, entries: readonly Entry[], commit: LogIndex): RaftLog {
    const log = new RaftLog();
    if (snapshot) {
      log.snapshotIndex = snapshot.meta.index;
      log.snapshotTerm = snapshot.meta.term;
    }
    let expected = log.snapshotIndex + 1;
    for (const e of entries) {
      if (e.index < expected) continue; // already covered by the snapshot
      if (e.index !== expected) throw new Error(`log gap: expected index ${expected}, found ${e.index}`);
      log.entries.push(e);
      expected++;
    }
    log.stableIndex = log.lastIndex();
    log.committed = Math.min(Math.max(commit, log.snapshotIndex), log.lastIndex());
    log.applied = log.snapshotIndex;
    log.applying = log.snapshotIndex;
    return log;
  }

  firstIndex(): LogIndex {
    return this.snapshotIndex + 1;
  }

  lastIndex(): LogIndex {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): Term {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** The term of the entry at `index`; undefined if compacted away or beyond the end. */
  term(index: LogIndex): Term | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  entry(index: LogIndex): Entry | undefined {
    if (index <= this.snapshotIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: LogIndex, term: Term): boolean {
    return this.term(index) === term;
  }

  /** Paper §5.4.1: is a log ending at (lastIndex, lastTerm) at least as up-to-date as ours? */
  isUpToDate(lastIndex: LogIndex, lastTerm: Term): boolean {
    const ourTerm = this.lastTerm();
    return lastTerm > ourTerm || (lastTerm === ourTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi], at most `countMax` and (after the first) at most `bytesMax` payload bytes. */
  slice(lo: LogIndex, hi: LogIndex, countMax: number, bytesMax: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = Math.max(lo, this.firstIndex()); i <= Math.min(hi, this.lastIndex()); i++) {
      const e = this.entry(i)!;
      const size = entryBytes(e);
      if (out.length > 0 && (out.length >= countMax || bytes + size > bytesMax)) break;
      out.push(e);
      bytes += size;
    }
    return out;
  }

  /** Appends entries that continue the log (the leader's own proposals). */
  append(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index !== this.lastIndex() + 1) throw new Error(`append out of order: ${e.index}`);
      this.entries.push(e);
    }
  }

  /**
   * Paper §5.3, receiver rules 2–4: if our log has (prevIndex, prevTerm),
   * drop any conflicting suffix, append the new entries and return the index
   * of the last new entry; otherwise return undefined.
   */
  maybeAppend(prevIndex: LogIndex, prevTerm: Term, entries: readonly Entry[]): LogIndex | undefined {
    if (!this.matchTerm(prevIndex, prevTerm)) return undefined;
    for (const e of entries) {
      if (e.index <= this.snapshotIndex) continue;
      const ours = this.term(e.index);
      if (ours === e.term) continue;
      if (ours !== undefined) {
        if (e.index <= this.committed) {
          throw new Error(`conflict at committed index ${e.index} (committed ${this.committed})`);
        }
        this.truncateFrom(e.index);
      }
      this.entries.push(e);
    }
    return prevIndex + entries.length;
  }

  private truncateFrom(index: LogIndex): void {
    this.entries.length = index - this.snapshotIndex - 1;
    this.stableIndex = Math.min(this.stableIndex, index - 1);
  }

  /**
   * The fast-backtracking hint (dissertation §5.3 optimisation, as in
   * etcd-io/raft): the largest index <= `index` whose term is <= `term`.
   * Every entry above it has a term above `term`, so cannot match the leader.
   */
  findConflictByTerm(index: LogIndex, term: Term): { index: LogIndex; term: Term } {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotIndex) {
      const t = this.term(i)!;
      if (t <= term) return { index: i, term: t };
      i--;
    }
    return { index: this.snapshotIndex, term: this.snapshotTerm };
  }

  commitTo(index: LogIndex): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) throw new Error(`commit ${index} beyond last index ${this.lastIndex()}`);
    this.committed = index;
    return true;
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.stableIndex - this.snapshotIndex);
  }

  /** The driver persisted entries up to (index, term); ignored if they were replaced meanwhile. */
  stableTo(index: LogIndex, term: Term): void {
    if (this.term(index) === term && index > this.stableIndex) this.stableIndex = index;
  }

  /** Committed entries not yet handed out for applying. */
  entriesToApply(): Entry[] {
    if (this.committed <= this.applying) return [];
    return this.entries.slice(this.applying - this.snapshotIndex, this.committed - this.snapshotIndex);
  }

  /** Replaces the whole log with a snapshot received from the leader (paper §7). */
  restoreSnapshot(snapshot: Snapshot): void {
    this.entries = [];
    this.snapshotIndex = snapshot.meta.index;
    this.snapshotTerm = snapshot.meta.term;
    this.committed = snapshot.meta.index;
    this.stableIndex = snapshot.meta.index;
    this.applying = snapshot.meta.index;
    this.pendingSnapshot = snapshot;
  }

  /** Drops entries up to `index`, which the driver captured in a snapshot of applied state. */
  compact(index: LogIndex): void {
    if (index <= this.snapshotIndex) return;
    if (index > this.applied) throw new Error(`compact ${index} beyond applied ${this.applied}`);
    // Entries not yet durable here must stay in memory until their write ends: with the log
    // compacted past them, the core would keep offering them and every Ready would be empty.
    if (index > this.stableIndex) throw new Error(`compact ${index} beyond durable ${this.stableIndex}`);
    const term = this.term(index)!;
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
  }

  allEntries(): readonly Entry[] {
    return this.entries;
  }
}

/** Rough payload size used for message batching. */
export function entryBytes(e: Entry): number {
  return e.type === 'command' ? e.data.byteLength + 24 : 48;
}
