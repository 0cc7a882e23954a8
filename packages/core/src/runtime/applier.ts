import { BatonError, isBatonError } from '../errors.js';
import { applyConfigChange, initialConfig } from '../raft/membership.js';
import type { ReadFailure, ReadState } from '../raft/ready.js';
import type { ClusterConfig, Entry, LogIndex, MemberId, Snapshot, Term } from '../raft/types.js';
import { ClientSessions, type ClientSessionsLimits } from '../state/client-sessions.js';
import { type AppliedOutcome, applySessioned } from '../state/sessioned-apply.js';
import { decodeStateSnapshot, encodeStateSnapshot } from '../state/state-snapshot.js';
import { PendingProposals, PendingReads } from './pending-requests.js';
import { plainData } from './plain-data.js';
import type { StateMachine } from './state-machine.js';

/** How many applied entries' outcomes are remembered (see awaitApplied). */
const RECENT_RESULTS_MAX = 4096;

/**
 * The session table's bounds. Part of the replicated state machine's
 * definition: every member must use the same ones.
 */
export const CLIENT_SESSIONS_LIMITS: ClientSessionsLimits = {
  sessionsMax: 4096,
  resultsPerSessionMax: 16_384,
};

/**
 * The apply side of a member: feeds committed entries (and installed
 * snapshots) to the state machine in order — command entries through the
 * client session table, so a retried command is applied at most once —
 * settles the proposals and reads waiting on them, and knows the applied
 * index, term and configuration a snapshot of this state must carry.
 */
export class Applier {
  appliedIndex: LogIndex;
  lastAppliedTerm: Term;
  appliedConfig: ClusterConfig;
  /** Entries applied since the last snapshot was taken. */
  sinceSnapshot = 0;
  readonly proposals = new PendingProposals();
  readonly reads = new PendingReads();
  private readonly sessions = new ClientSessions(CLIENT_SESSIONS_LIMITS);
  /** The outcomes of (at least) the last RECENT_RESULTS_MAX indexes applied, each at its index modulo that size. */
  private readonly recentResults: ({ index: LogIndex; term: Term; outcome: AppliedOutcome } | undefined)[] =
    new Array(RECENT_RESULTS_MAX);

  /** Starts from `snapshot` (restoring the state machine from it) or from the empty state. */
  constructor(
    private readonly stateMachine: StateMachine,
    snapshot: Snapshot | undefined,
    initialVoters: readonly MemberId[],
  ) {
    this.appliedIndex = 0;
    this.lastAppliedTerm = 0;
    this.appliedConfig = initialConfig(initialVoters);
    if (snapshot) this.restoreState(snapshot);
  }

  /** Replaces the state with an installed snapshot's; proposals it covers fail (their outcome is unknown here). */
  restore(snapshot: Snapshot): void {
    this.restoreState(snapshot);
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
      const outcome = this.applyOne(e);
      if (e.type === 'config') this.appliedConfig = applyConfigChange(this.appliedConfig, e.change);
      this.appliedIndex = e.index;
      this.lastAppliedTerm = e.term;
      this.sinceSnapshot++;
      this.remember(e.index, e.term, outcome);
      this.proposals.applied(e, outcome);
    }
    if (entries.length > 0) this.reads.applied(this.appliedIndex);
  }

  /**
   * Resolves with the outcome once the entry (index, term) is applied;
   * rejects BATON_NOT_LEADER if another entry was applied there. `cancel`
   * drops the waiter at once (an aborted or timed-out caller).
   */
  awaitApplied(index: LogIndex, term: Term): { promise: Promise<AppliedOutcome>; cancel(): void } {
    if (index <= this.appliedIndex) {
      const slot = this.recentResults[index % RECENT_RESULTS_MAX];
      const recent = slot?.index === index ? slot : undefined;
      const promise =
        recent?.term === term
          ? Promise.resolve(recent.outcome)
          : Promise.reject(
              recent
                ? new BatonError('BATON_NOT_LEADER', `index ${index} holds another entry`)
                : new BatonError('BATON_UNAVAILABLE', `outcome at index ${index} no longer known`),
            );
      return { promise, cancel: () => {} };
    }
    return this.proposals.add(index, term);
  }

  /** The applied state as a snapshot: the session table with the state machine's own bytes. */
  snapshot(): Snapshot {
    return {
      meta: { index: this.appliedIndex, term: this.lastAppliedTerm, config: this.appliedConfig },
      data: encodeStateSnapshot({
        sessions: this.sessions.toSnapshot(),
        machine: this.stateMachine.snapshot(),
      }),
    };
  }

  rejectAll(error: unknown): void {
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
  }

  private restoreState(snapshot: Snapshot): void {
    const state = decodeStateSnapshot(snapshot.data);
    this.sessions.restore(state.sessions);
    this.stateMachine.restore(state.machine);
    this.appliedIndex = snapshot.meta.index;
    this.lastAppliedTerm = snapshot.meta.term;
    this.appliedConfig = snapshot.meta.config;
  }

  /** No-ops and configuration entries go to the state machine as they are; commands through their sessions. */
  private applyOne(e: Entry): AppliedOutcome {
    if (e.type !== 'command') return { kind: 'ok', result: this.stateMachine.apply(e) };
    try {
      return applySessioned(this.sessions, e, (payload) =>
        plainData(this.stateMachine.apply({ ...e, data: payload })),
      );
    } catch (error) {
      // Leaders check every envelope before appending: one that does not decode came from elsewhere.
      if (!isBatonError(error, 'BATON_PROTOCOL')) throw error;
      throw new BatonError(
        'BATON_STORAGE_CORRUPT',
        `entry ${e.index} is not a command this version can apply (damaged, or written by a Baton version before client sessions)`,
        { cause: error },
      );
    }
  }

  /** Keeps the last outcomes, for a forwarded proposal whose answer arrives after its entry was applied. */
  private remember(index: LogIndex, term: Term, outcome: AppliedOutcome): void {
    this.recentResults[index % RECENT_RESULTS_MAX] = { index, term, outcome };
  }
}
