import { failPendingReads, leaderRead } from './leader-reads.js';
import { allMembers, applyConfigChange, initialConfig, isVoter } from './membership.js';
import { Progress } from './progress.js';
import { voteOutcome } from './quorum.js';
import { RaftLog } from './raft-log.js';
import type { ResolvedRaftOptions } from './raft-options.js';
import { ReadIndexQueue } from './read-index.js';
import type { ReadFailure, ReadState } from './ready.js';
import { bcastAppend, bcastHeartbeat, maybeCommit, updateLeaseRound } from './replication.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import { handleVoteRequest } from './step-vote.js';
import type {
  ClusterConfig,
  ConfigChange,
  Entry,
  HardState,
  LogIndex,
  MemberId,
  Message,
  Role,
  Snapshot,
  Term,
} from './types.js';

/** Evidence that this member lost entries it had acknowledged (see Raft.lostEntries). */
export interface LostEntries {
  readonly leaderId: MemberId;
  readonly term: Term;
  /** The commit index the leader sent, which it only sends up to what we acknowledged. */
  readonly commit: LogIndex;
  readonly lastIndex: LogIndex;
}

/** What storage recovered, handed to a restarting core. */
export interface RestoredState {
  readonly hardState?: HardState | undefined;
  readonly snapshot?: Snapshot | undefined;
  readonly entries?: readonly Entry[] | undefined;
}

export type ProposeResult =
  | { readonly ok: true; readonly index: LogIndex; readonly term: Term }
  | { readonly ok: false; readonly reason: 'notLeader' | 'transferring' | 'overloaded' | 'configPending' };

/**
 * The Raft state of one member: role, term, vote, log and, when leading, the
 * followers' progress. Pure and single-threaded: it changes only through
 * tick(), step() and the propose/read/transfer calls, and it speaks only by
 * appending to `msgs`. RawNode wraps it with the Ready/advance protocol.
 *
 * Role-specific message handling lives in step-leader.ts, step-candidate.ts
 * and step-follower.ts; vote requests (every role) in step-vote.ts.
 */
export class Raft {
  readonly id: MemberId;
  readonly opts: ResolvedRaftOptions;
  term: Term = 0;
  vote: MemberId | undefined;
  leaderId: MemberId | undefined;
  role: Role = 'follower';
  log: RaftLog;
  config: ClusterConfig;
  /** Leader: each member's replication progress (self included). */
  progress = new Map<MemberId, Progress>();
  /** Candidate / pre-candidate: votes received. */
  votes = new Map<MemberId, boolean>();
  /** Ticks since the last election-timer reset (leader contact, vote granted, campaign). */
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTicks = 0;
  /** Ticks since the core was created; a monotonic count used for retries. */
  tickCount = 0;
  /**
   * The tick count when this member last heard from a leader (0 at start).
   * It refuses non-transfer (pre-)votes for electionTicks ticks after it, at
   * any term: a term change that did not come from a leader (a stale answer
   * to an old campaign) must not cut that promise short, and a member that
   * (re)starts has forgotten the contact that made it refuse votes, so it
   * waits one election timeout as if it had just heard from a leader.
   */
  lastLeaderContactTick = 0;
  /** Leader: the member leadership is being handed to. */
  leadTransferee: MemberId | undefined;
  /** Leader: a TimeoutNow went out in this term; the lease is over and an abandoned transfer steps down. */
  timeoutNowSent = false;
  /** The newest snapshot handed in through compact() or received; sent to followers too far behind. */
  latestSnapshot: Snapshot | undefined;
  /** Leader: no config change may be proposed until this index is committed. */
  pendingConfigIndex: LogIndex = 0;
  msgs: Message[] = [];
  /**
   * Set when the leader's heartbeat shows that this member acknowledged
   * entries it no longer holds (its disk lost acknowledged data). The
   * driver must stop the member: Raft's safety assumes durable votes and logs.
   */
  lostEntries: LostEntries | undefined;
  readonly reads = new ReadIndexQueue();
  /** Leader: reads that arrived before an entry of this term committed. */
  readsAwaitingCommit: { requestId: string; from: MemberId }[] = [];
  readStates: ReadState[] = [];
  /** Leader: reads wait for a heartbeat round that RawNode.ready() will broadcast. */
  readRoundWanted = false;
  readFailures: ReadFailure[] = [];
  /** Leader: the last heartbeat round broadcast in this term. */
  round = 0;
  /** Leader: the highest round each member acknowledged in this term. */
  roundAcks = new Map<MemberId, number>();
  /** Leader: the highest round a quorum acknowledged in this term (0 = none). */
  leaseRound = 0;
  /** The heartbeat round broadcast since the last Ready, for the driver's lease clock. */
  roundToReport: number | undefined;

  constructor(opts: ResolvedRaftOptions, restored: RestoredState = {}) {
    this.id = opts.id;
    this.opts = opts;
    const hs = restored.hardState;
    this.log = RaftLog.restore(restored.snapshot, restored.entries ?? [], hs?.commit ?? 0);
    this.config = restored.snapshot?.meta.config ?? initialConfig(opts.initialVoters);
    // After a restart the stored snapshot is what followers too far behind must get.
    this.latestSnapshot = restored.snapshot;
    this.applyCommittedConfig(this.log.snapshotIndex + 1, this.log.committed);
    if (hs) {
      this.term = hs.term;
      this.vote = hs.vote;
    }
    this.resetElectionTimer();
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  /** Voters and not removed: may campaign. */
  promotable(): boolean {
    return isVoter(this.config, this.id);
  }

  /**
   * Draws the next election timeout from [electionTicks, electionTicksMax),
   * shifted later by campaignMarginTicks. Shifting (rather than cutting the
   * low end) keeps the whole spread however narrow the range: without
   * randomness, split votes could repeat forever (the simulator found that).
   */
  resetElectionTimer(): void {
    this.electionElapsed = 0;
    const span = this.opts.electionTicksMax - this.opts.electionTicks;
    const lo = this.opts.electionTicks + this.opts.campaignMarginTicks;
    this.randomizedElectionTicks = lo + Math.floor(this.opts.random() * span);
  }

  /**
   * Leader stickiness (dissertation §9.6 with CheckQuorum): true while this
   * member leads, or has heard from a leader (or started) within the minimum
   * election timeout; it then refuses every non-transfer (pre-)vote. The
   * leader lease (leader-lease.ts) rests on this promise.
   */
  inLeaderLease(): boolean {
    if (!this.opts.checkQuorum) return false;
    return this.role === 'leader' || this.tickCount - this.lastLeaderContactTick < this.opts.electionTicks;
  }

  // ---- role transitions -------------------------------------------------

  private reset(term: Term): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = undefined;
    }
    this.leaderId = undefined;
    this.resetElectionTimer();
    this.heartbeatElapsed = 0;
    this.leadTransferee = undefined;
    this.timeoutNowSent = false;
    this.votes.clear();
    this.progress.clear();
    this.round = 0;
    this.roundAcks.clear();
    this.leaseRound = 0;
    this.readRoundWanted = false;
    failPendingReads(this);
  }

  becomeFollower(term: Term, leaderId: MemberId | undefined): void {
    this.reset(term);
    this.role = 'follower';
    this.leaderId = leaderId;
  }

  becomePreCandidate(): void {
    // A pre-candidate keeps its term and vote: a pre-vote changes nothing durable.
    this.votes.clear();
    this.leaderId = undefined;
    this.role = 'preCandidate';
    this.resetElectionTimer();
  }

  becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leaderId = this.id;
    for (const id of allMembers(this.config)) {
      const pr = new Progress(this.log.lastIndex() + 1);
      if (id === this.id) pr.match = this.log.stableIndex;
      pr.lastHeardTick = this.tickCount;
      this.progress.set(id, pr);
    }
    // No config change until everything up to here (maybe an uncommitted
    // change of an earlier term) is committed; the no-op commits our term.
    this.pendingConfigIndex = this.log.lastIndex();
    this.appendEntries([{ type: 'noop', term: this.term, index: this.log.lastIndex() + 1 }]);
    bcastAppend(this);
    bcastHeartbeat(this);
  }

  /** Starts an election: a pre-vote first unless `transfer` (dissertation §3.10, §9.6). */
  campaign(transfer: boolean): void {
    if (!this.promotable()) return;
    if (this.opts.preVote && !transfer) this.solicitVotes('preVote', false);
    else this.solicitVotes('vote', transfer);
  }

  /**
   * Asks every voter for a (pre-)vote. A real vote bumps the term and votes
   * for itself; a pre-vote asks "would you vote for me in term+1?" and
   * changes nothing durable.
   */
  private solicitVotes(type: 'preVote' | 'vote', transfer: boolean): void {
    if (type === 'preVote') this.becomePreCandidate();
    else this.becomeCandidate();
    const term = type === 'preVote' ? this.term + 1 : this.term;
    this.votes.set(this.id, true);
    if (this.pollVotes() !== 'pending') return;
    for (const to of this.config.voters) {
      if (to === this.id) continue;
      this.send({
        type,
        from: this.id,
        to,
        term,
        lastLogIndex: this.log.lastIndex(),
        lastLogTerm: this.log.lastTerm(),
        transfer,
      });
    }
  }

  /** Counts votes; wins or loses the election when decided. */
  pollVotes(): 'won' | 'lost' | 'pending' {
    const outcome = voteOutcome(this.config.voters, this.votes);
    if (outcome === 'won') {
      if (this.role === 'preCandidate') this.solicitVotes('vote', false);
      else this.becomeLeader();
    } else if (outcome === 'lost') {
      this.becomeFollower(this.term, undefined);
    }
    return outcome;
  }

  // ---- time ---------------------------------------------------------------

  tick(): void {
    this.tickCount++;
    this.electionElapsed++;
    if (this.role === 'leader') this.tickLeader();
    else if (this.promotable() && this.electionElapsed >= this.randomizedElectionTicks) this.campaign(false);
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    // CheckQuorum, every tick: step down as soon as an election timeout has
    // passed without a quorum of voters answering (dissertation §6.2).
    if (this.opts.checkQuorum && !this.quorumActive()) {
      this.becomeFollower(this.term, undefined);
      return;
    }
    if (this.electionElapsed >= this.opts.electionTicks) {
      this.electionElapsed = 0;
      // A transfer that did not finish within an election timeout is abandoned.
      // If the target was told to campaign, it still may: step down rather
      // than lead on without a lease.
      if (this.timeoutNowSent) {
        this.becomeFollower(this.term, undefined);
        return;
      }
      this.leadTransferee = undefined;
    }
    if (this.heartbeatElapsed >= this.opts.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      bcastHeartbeat(this);
    }
  }

  /** CheckQuorum: has a quorum of voters (this leader included) answered within the last election timeout? */
  private quorumActive(): boolean {
    let active = 0;
    for (const id of this.config.voters) {
      const pr = this.progress.get(id);
      if (id === this.id || (pr && this.tickCount - pr.lastHeardTick < this.opts.electionTicks)) active++;
    }
    return active >= Math.floor(this.config.voters.length / 2) + 1;
  }

  // ---- messages -------------------------------------------------------------

  send(m: Message): void {
    this.msgs.push(m);
  }

  /**
   * Raft's common rules for every message (paper §5.1: a higher term turns
   * us into a follower, a lower-term message is stale), then the role's own.
   */
  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id) return;
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        // Leader stickiness: ignore a disruptive candidate while a leader is live.
        if (!m.transfer && this.inLeaderLease()) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // Granted pre-votes carry the future term we asked for; keep ours.
      } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, undefined);
      }
    } else if (m.term < this.term) {
      this.stepStale(m);
      return;
    }
    if (m.type === 'vote' || m.type === 'preVote') {
      handleVoteRequest(this, m);
      return;
    }
    if (this.role === 'leader') stepLeader(this, m);
    else if (this.role === 'follower') stepFollower(this, m);
    else stepCandidate(this, m);
  }

  private stepStale(m: Message): void {
    if (m.type === 'append' || m.type === 'heartbeat') {
      // Tell a deposed leader about the newer term so it steps down (with
      // CheckQuorum/PreVote our term may have moved on without it hearing).
      this.send({
        type: 'appendResp',
        from: this.id,
        to: m.from,
        term: this.term,
        reject: false,
        index: 0,
        hintIndex: 0,
        hintTerm: 0,
      });
    } else if (m.type === 'preVote') {
      this.send({ type: 'preVoteResp', from: this.id, to: m.from, term: this.term, reject: true });
    }
  }

  // ---- replication (leader) -----------------------------------------------

  appendEntries(entries: readonly Entry[]): void {
    this.log.append(entries);
  }

  /**
   * The heartbeat round whose quorum acknowledgement bounds this member's
   * leader lease, or 0 when it holds none: not leader, no round acknowledged
   * yet in this term, or a leadership transfer under way.
   */
  leaseRoundInForce(): number {
    if (this.role !== 'leader' || this.leadTransferee !== undefined || this.timeoutNowSent) return 0;
    return this.leaseRound;
  }

  /** Advances the commit index and puts committed configuration changes into force. */
  commitTo(index: LogIndex): void {
    const from = this.log.committed + 1;
    if (!this.log.commitTo(index)) return;
    this.applyCommittedConfig(from, index);
    if (this.role === 'leader' && this.readsAwaitingCommit.length > 0 && this.log.term(index) === this.term) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const read of waiting) leaderRead(this, read.requestId, read.from);
    }
  }

  private applyCommittedConfig(from: LogIndex, to: LogIndex): void {
    for (let i = from; i <= to; i++) {
      const e = this.log.entry(i);
      if (e?.type === 'config') this.applyConfig(e.change);
    }
  }

  private applyConfig(change: ConfigChange): void {
    this.config = applyConfigChange(this.config, change);
    if (this.role !== 'leader') return;
    if (!isVoter(this.config, this.id)) {
      // Removed or demoted to learner: a leader must be a voter (dissertation §4.2.2).
      this.becomeFollower(this.term, undefined);
      return;
    }
    for (const id of allMembers(this.config)) {
      if (!this.progress.has(id)) {
        const pr = new Progress(this.log.lastIndex() + 1);
        pr.lastHeardTick = this.tickCount;
        this.progress.set(id, pr);
      }
    }
    for (const id of [...this.progress.keys()]) {
      if (!allMembers(this.config).includes(id)) this.progress.delete(id);
    }
    if (this.leadTransferee !== undefined && !isVoter(this.config, this.leadTransferee)) {
      this.leadTransferee = undefined;
    }
    // The quorum changed: the commit index and the lease may move.
    maybeCommit(this);
    updateLeaseRound(this);
  }

  /** The driver made entries durable up to `index`: the leader now counts its own copy. */
  onStable(index: LogIndex): void {
    if (this.role !== 'leader') return;
    const self = this.progress.get(this.id);
    if (self?.maybeUpdate(index) && maybeCommit(this)) bcastAppend(this);
  }

  /** Leader: appends a new entry and starts replicating it. */
  proposeEntry(make: (index: LogIndex, term: Term) => Entry): ProposeResult {
    if (this.role !== 'leader') return { ok: false, reason: 'notLeader' };
    if (this.leadTransferee !== undefined) return { ok: false, reason: 'transferring' };
    if (this.log.lastIndex() - this.log.committed >= this.opts.uncommittedEntriesMax) {
      return { ok: false, reason: 'overloaded' };
    }
    const index = this.log.lastIndex() + 1;
    this.appendEntries([make(index, this.term)]);
    bcastAppend(this);
    return { ok: true, index, term: this.term };
  }
}
