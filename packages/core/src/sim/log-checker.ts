import type { Entry, LogIndex, MemberId, Term } from '../raft/types.js';
import { termAndPayloadKey } from './entry-key.js';
import { InvariantViolation } from './invariant-violation.js';
import type { MemberView } from './member-view.js';

interface CommittedEntry {
  readonly key: string;
  readonly term: Term;
  /** The lowest term of a leader seen with this index committed: the term it was committed in. */
  commitTerm: Term;
}

/**
 * Checks the log-level Raft properties on member views: election safety, log
 * matching, stability of committed entries, and leader completeness. It keeps
 * a global history (who led which term, which entry each index committed) and
 * compares every observed log against it.
 *
 * Work is proportional to the observed member's log, and entry objects
 * already verified are remembered, so checking after every event stays cheap.
 */
export class LogChecker {
  private readonly leaders = new Map<Term, MemberId>();
  private readonly committed = new Map<LogIndex, CommittedEntry>();
  private committedMax: LogIndex = 0;
  /** (index:term) → payload key and the term of the entry before it, as first seen in any log. */
  private readonly seen = new Map<string, { key: string; prevTerm: Term | undefined }>();
  /** Entries whose (index, term, prevTerm) was already matched against `seen`. */
  private readonly matched = new WeakMap<Entry, Term | undefined>();
  /** Entries already matched against `committed` at their index. */
  private readonly matchedCommitted = new WeakSet<Entry>();
  /** The term each member was last seen leading, to spot the moment it becomes leader. */
  private readonly leadingTerm = new Map<MemberId, Term>();

  /** The highest index any member has reported committed. */
  get highestCommitted(): LogIndex {
    return this.committedMax;
  }

  /** The committed entry's term and payload key at `index`, if any member reported it committed. */
  committedAt(index: LogIndex): { key: string; term: Term } | undefined {
    return this.committed.get(index);
  }

  /** Checks one member after an event that may have changed it. */
  observe(view: MemberView): void {
    if (!view.up) {
      this.leadingTerm.delete(view.id);
      return;
    }
    this.checkLogShape(view);
    this.checkCommitted(view);
    if (view.role === 'leader') this.observeLeader(view);
    else this.leadingTerm.delete(view.id);
  }

  private observeLeader(view: MemberView): void {
    const holder = this.leaders.get(view.term);
    if (holder !== undefined && holder !== view.id) {
      throw new InvariantViolation('election-safety', `${holder} and ${view.id} both lead term ${view.term}`);
    }
    this.leaders.set(view.term, view.id);
    // A leader commits: the first leader seen with an index committed is the term it was committed in.
    for (let i = view.commitIndex; i > view.snapshotIndex; i--) {
      const c = this.committed.get(i);
      if (c === undefined || c.commitTerm <= view.term) break;
      c.commitTerm = view.term;
    }
    if (this.leadingTerm.get(view.id) !== view.term) {
      this.leadingTerm.set(view.id, view.term);
      this.checkLeaderCompleteness(view);
    }
  }

  /** Contiguous indexes, non-decreasing terms, and the same (index, term) always with the same entry and predecessor term. */
  private checkLogShape(view: MemberView): void {
    let prevTerm = view.snapshotTerm;
    view.entries.forEach((e, i) => {
      const index = view.snapshotIndex + 1 + i;
      if (e.index !== index) {
        throw new InvariantViolation(
          'log-matching',
          `${view.id} holds index ${e.index} at position of ${index}`,
        );
      }
      if (prevTerm !== undefined && e.term < prevTerm) {
        throw new InvariantViolation(
          'log-matching',
          `${view.id} log term goes back at ${index}: ${prevTerm} -> ${e.term}`,
        );
      }
      if (!(this.matched.has(e) && this.matched.get(e) === prevTerm)) {
        this.matchSeen(view.id, e, prevTerm);
        this.matched.set(e, prevTerm);
      }
      prevTerm = e.term;
    });
  }

  private matchSeen(member: MemberId, e: Entry, prevTerm: Term | undefined): void {
    const id = `${e.index}:${e.term}`;
    const key = termAndPayloadKey(e);
    const known = this.seen.get(id);
    if (known === undefined) {
      this.seen.set(id, { key, prevTerm });
      return;
    }
    if (known.key !== key) {
      throw new InvariantViolation(
        'log-matching',
        `${member} has ${key} at ${id}, another log has ${known.key}`,
      );
    }
    if (prevTerm !== undefined && known.prevTerm !== undefined && known.prevTerm !== prevTerm) {
      throw new InvariantViolation(
        'log-matching',
        `${member} has entry ${id} after term ${prevTerm}, another log after term ${known.prevTerm}`,
      );
    }
    if (known.prevTerm === undefined && prevTerm !== undefined) known.prevTerm = prevTerm;
  }

  /** Committed entries never change, and a member never reports committed what its log lacks. */
  private checkCommitted(view: MemberView): void {
    const lastIndex = view.snapshotIndex + view.entries.length;
    if (view.commitIndex > lastIndex) {
      throw new InvariantViolation(
        'committed-entry-stable',
        `${view.id} commitIndex ${view.commitIndex} beyond its last index ${lastIndex}`,
      );
    }
    if (view.snapshotTerm !== undefined && view.snapshotIndex > 0) {
      const c = this.committed.get(view.snapshotIndex);
      if (c !== undefined && c.term !== view.snapshotTerm) {
        throw new InvariantViolation(
          'committed-entry-stable',
          `${view.id} snapshot at ${view.snapshotIndex} has term ${view.snapshotTerm}, committed term ${c.term}`,
        );
      }
    }
    for (let index = view.snapshotIndex + 1; index <= view.commitIndex; index++) {
      const e = view.entries[index - view.snapshotIndex - 1] as Entry;
      if (this.matchedCommitted.has(e)) continue;
      const key = termAndPayloadKey(e);
      const c = this.committed.get(index);
      if (c === undefined) {
        this.committed.set(index, { key, term: e.term, commitTerm: Number.POSITIVE_INFINITY });
        if (index > this.committedMax) this.committedMax = index;
      } else if (c.key !== key) {
        throw new InvariantViolation(
          'committed-entry-stable',
          `${view.id} committed ${key} at ${index}, was ${c.key}`,
        );
      }
      this.matchedCommitted.add(e);
    }
  }

  /** Paper §5.4: every entry committed in an earlier term is in the new leader's log. */
  private checkLeaderCompleteness(view: MemberView): void {
    for (let index = view.snapshotIndex + 1; index <= this.committedMax; index++) {
      const c = this.committed.get(index);
      if (c === undefined || c.commitTerm >= view.term) continue;
      const e = view.entries[index - view.snapshotIndex - 1];
      if (e === undefined || termAndPayloadKey(e) !== c.key) {
        throw new InvariantViolation(
          'leader-completeness',
          `${view.id} leads term ${view.term} without entry ${index} (${c.key}) committed in term ${c.commitTerm}`,
        );
      }
    }
  }
}
