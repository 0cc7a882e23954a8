import { BatonError } from '../errors.js';
import type { Entry, LogIndex, Term } from '../raft/types.js';

interface PendingProposal {
  readonly term: Term;
  resolve(result: unknown): void;
  reject(error: unknown): void;
}

/**
 * Proposals waiting for their entry to be applied. A proposal made at
 * (index, term) succeeds when the entry applied at `index` has `term`; if a
 * different entry lands there, leadership changed and the proposal was lost.
 */
export class PendingProposals {
  private readonly byIndex = new Map<LogIndex, PendingProposal>();

  add(index: LogIndex, term: Term): Promise<unknown> {
    return new Promise((resolve, reject) => this.byIndex.set(index, { term, resolve, reject }));
  }

  /** Settles the proposal at the applied entry's index, if any. */
  applied(entry: Entry, result: unknown): void {
    const p = this.byIndex.get(entry.index);
    if (!p) return;
    this.byIndex.delete(entry.index);
    if (p.term === entry.term) p.resolve(result);
    else
      p.reject(
        new BatonError('BATON_NOT_LEADER', `proposal at index ${entry.index} was replaced by a new leader`),
      );
  }

  /** Settles proposals covered by an installed snapshot: their outcome is unknown, so they fail. */
  coveredBySnapshot(index: LogIndex): void {
    for (const [i, p] of this.byIndex) {
      if (i > index) continue;
      this.byIndex.delete(i);
      p.reject(
        new BatonError('BATON_UNAVAILABLE', `proposal at index ${i} outcome unknown (snapshot installed)`),
      );
    }
  }

  rejectAll(error: unknown): void {
    for (const p of this.byIndex.values()) p.reject(error);
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
