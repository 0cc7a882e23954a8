import { BatonError } from '../errors.js';
import type { Entry, LogIndex, Term } from '../raft/types.js';
import type { AppliedOutcome } from '../state/sessioned-apply.js';

interface PendingProposal {
  readonly term: Term;
  resolve(outcome: AppliedOutcome): void;
  reject(error: unknown): void;
}

/**
 * Proposals waiting for their entry to be applied. A proposal made at
 * (index, term) succeeds when the entry applied at `index` has `term`; if a
 * different entry lands there, leadership changed and the proposal was lost.
 */
export class PendingProposals {
  /** Several waiters may share an index: a proposal lost with its term, and a later one placed there. */
  private readonly byIndex = new Map<LogIndex, PendingProposal[]>();

  /** Waits for the entry at `index`; `cancel` removes the waiter at once (its promise then never settles). */
  add(index: LogIndex, term: Term): { promise: Promise<AppliedOutcome>; cancel(): void } {
    let waiter: PendingProposal | undefined;
    const promise = new Promise<AppliedOutcome>((resolve, reject) => {
      waiter = { term, resolve, reject };
      const list = this.byIndex.get(index);
      if (list) list.push(waiter);
      else this.byIndex.set(index, [waiter]);
    });
    const cancel = () => {
      const list = this.byIndex.get(index);
      if (!list || waiter === undefined) return;
      const i = list.indexOf(waiter);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byIndex.delete(index);
    };
    return { promise, cancel };
  }

  /** How many proposals are waiting (for tests: a cancelled wait leaves nothing behind). */
  get size(): number {
    let n = 0;
    for (const list of this.byIndex.values()) n += list.length;
    return n;
  }

  /** Settles the proposals at the applied entry's index, if any. */
  applied(entry: Entry, outcome: AppliedOutcome): void {
    const list = this.byIndex.get(entry.index);
    if (!list) return;
    this.byIndex.delete(entry.index);
    for (const p of list) {
      if (p.term === entry.term) p.resolve(outcome);
      else
        p.reject(
          new BatonError('BATON_NOT_LEADER', `proposal at index ${entry.index} was replaced by a new leader`),
        );
    }
  }

  /** Settles proposals covered by an installed snapshot: their outcome is unknown, so they fail. */
  coveredBySnapshot(index: LogIndex): void {
    for (const [i, list] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      const error = new BatonError(
        'BATON_UNAVAILABLE',
        `proposal at index ${i} outcome unknown (snapshot installed)`,
      );
      for (const p of list) p.reject(error);
    }
  }

  rejectAll(error: unknown): void {
    for (const list of this.byIndex.values()) for (const p of list) p.reject(error);
    this.byIndex.clear();
  }
}

interface PendingRead {
  index: LogIndex | undefined;
  resolve(index: LogIndex): void;
  reject(error: unknown): void;
}

/** Linearizable reads: waiting for the leader's read index, then for this member to apply it. */
export class PendingReads {
  private readonly byId = new Map<string, PendingRead>();

  add(requestId: string): Promise<LogIndex> {
    return new Promise((resolve, reject) => this.byId.set(requestId, { index: undefined, resolve, reject }));
  }

  /** The read point is known; serve it now if `appliedIndex` reached it. */
  confirmed(requestId: string, index: LogIndex, appliedIndex: LogIndex): void {
    const r = this.byId.get(requestId);
    if (!r) return;
    r.index = index;
    this.applied(appliedIndex);
  }

  /** Drops a read whose caller gave up: its promise never settles. */
  withdraw(requestId: string): void {
    this.byId.delete(requestId);
  }

  /** How many reads are waiting (for tests: a cancelled read leaves nothing behind). */
  get size(): number {
    return this.byId.size;
  }

  failed(requestId: string, error: unknown): void {
    const r = this.byId.get(requestId);
    if (!r) return;
    this.byId.delete(requestId);
    r.reject(error);
  }

  /** Serves every confirmed read whose index is now applied. */
  applied(appliedIndex: LogIndex): void {
    for (const [id, r] of this.byId) {
      if (r.index !== undefined && r.index <= appliedIndex) {
        this.byId.delete(id);
        r.resolve(r.index);
      }
    }
  }

  rejectAll(error: unknown): void {
    for (const r of this.byId.values()) r.reject(error);
    this.byId.clear();
  }
}
