import { BatonError } from '../errors.js';
import { applyConfigChange, initialConfig } from '../raft/membership.js';
import type { ReadFailure, ReadState } from '../raft/ready.js';
import type { ClusterConfig, Entry, LogIndex, MemberId, Snapshot, Term } from '../raft/types.js';
import { PendingProposals, PendingReads } from './pending-requests.js';
import type { StateMachine } from './state-machine.js';

/** How many applied entries' results are remembered (see awaitApplied). */
const RECENT_RESULTS_MAX = 4096;

/**
 * The apply side of a member: feeds committed entries (and installed
 * snapshots) to the state machine in order, settles the proposals and reads
 * waiting on them, and knows the applied index, term and configuration a
 * snapshot of this state must carry.
 */
export class Applier {
  appliedIndex: LogIndex;
  lastAppliedTerm: Term;
  appliedConfig: ClusterConfig;
  /** Entries applied since the last snapshot was taken. */
  sinceSnapshot = 0;
  readonly proposals = new PendingProposals();
  readonly reads = new PendingReads();
  private readonly recentResults = new Map<LogIndex, { term: Term; result: unknown }>();

  constructor(
    private readonly stateMachine: StateMachine,
    snapshot: Snapshot | undefined,
    initialVoters: readonly MemberId[],
  ) {
    this.appliedIndex = snapshot?.meta.index ?? 0;
    this.lastAppliedTerm = snapshot?.meta.term ?? 0;
    this.appliedConfig = snapshot?.meta.config ?? initialConfig(initialVoters);
  }

  /** Replaces the state with an installed snapshot's; proposals it covers fail (their outcome is unknown here). */
  restore(snapshot: Snapshot): void {
    this.stateMachine.restore(snapshot.data);
    this.appliedIndex = snapshot.meta.index;
    this.lastAppliedTerm = snapshot.meta.term;
    this.appliedConfig = snapshot.meta.config;
    this.proposals.coveredBySnapshot(this.appliedIndex);
    this.reads.applied(this.appliedIndex);
  }

  /** Read points a leader confirmed (served once applied), and reads it could not confirm. */
  settleReads(states: readonly ReadState[], failures: readonly ReadFailure[]): void {
    for (const rs of states) this.reads.confirmed(rs.requestId, rs.index, this.appliedIndex);
    for (const rf of failures) {
      this.reads.failed(
        rf.requestId,
        new BatonError('BATON_NOT_LEADER', 'the read could not be confirmed by a leader'),
      );
    }
  }

  /** Applies committed entries in order and settles the proposals and reads waiting on them. */
  applyEntries(entries: readonly Entry[]): void {
    for (const e of entries) {
      const result = this.stateMachine.apply(e);
      if (e.type === 'config') this.appliedConfig = applyConfigChange(this.appliedConfig, e.change);
      this.appliedIndex = e.index;
      this.lastAppliedTerm = e.term;
      this.sinceSnapshot++;
      this.remember(e.index, e.term, result);
      this.proposals.applied(e, result);
    }
    if (entries.length > 0) this.reads.applied(this.appliedIndex);
  }

  /**
   * Resolves with the state machine's result once the entry (index, term) is
   * applied; rejects BATON_NOT_LEADER if another entry was applied there.
   */
  awaitApplied(index: LogIndex, term: Term): Promise<unknown> {
    if (index <= this.appliedIndex) {
      const recent = this.recentResults.get(index);
      if (recent?.term === term) return Promise.resolve(recent.result);
      if (recent)
        return Promise.reject(new BatonError('BATON_NOT_LEADER', `index ${index} holds another entry`));
      return Promise.reject(new BatonError('BATON_UNAVAILABLE', `outcome at index ${index} no longer known`));
    }
    return this.proposals.add(index, term);
  }

  /** The applied state as a snapshot. */
  snapshot(): Snapshot {
    return {
      meta: { index: this.appliedIndex, term: this.lastAppliedTerm, config: this.appliedConfig },
      data: this.stateMachine.snapshot(),
    };
  }

  rejectAll(error: unknown): void {
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
  }

  /** Keeps the last results, for a forwarded proposal whose answer arrives after its entry was applied. */
  private remember(index: LogIndex, term: Term, result: unknown): void {
    this.recentResults.set(index, { term, result });
    if (this.recentResults.size > RECENT_RESULTS_MAX) {
      const oldest = this.recentResults.keys().next().value;
      if (oldest !== undefined) this.recentResults.delete(oldest);
    }
  }
}
