import { durableCommittedCount, isLeaderReplication } from './durability.js';
import { flushReadRound, leaderRead } from './leader-reads.js';
import { type LostEntries, type ProposeResult, Raft, type RestoredState } from './raft.js';
import { type RaftOptions, resolveRaftOptions } from './raft-options.js';
import type { Persisted, Ready, SoftState } from './ready.js';
import { transferLeadership } from './step-leader.js';
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

export type { LostEntries, ProposeResult, RestoredState } from './raft.js';

/** A point-in-time view of one member's Raft state. */
export interface RaftStatus {
  readonly id: MemberId;
  readonly role: Role;
  readonly term: Term;
  readonly vote: MemberId | undefined;
  readonly leaderId: MemberId | undefined;
  readonly commitIndex: LogIndex;
  readonly appliedIndex: LogIndex;
  readonly lastIndex: LogIndex;
  readonly snapshotIndex: LogIndex;
  readonly config: ClusterConfig;
  /**
   * The heartbeat round whose acknowledgement by a quorum bounds the leader
   * lease (see leader-lease.ts); 0 when this member holds no lease.
   */
  readonly leaseRound: number;
  /** Set while a leadership transfer is under way. */
  readonly leadTransferee: MemberId | undefined;
  /** Set once this member is found to have lost acknowledged entries; the driver must stop it. */
  readonly lostEntries: LostEntries | undefined;
}

/**
 * The driver-facing Raft core (after etcd-io/raft's RawNode): feed it ticks,
 * messages and proposals; take a Ready, carry it out in the order ready.ts
 * documents, and call advance(). Pure and deterministic: the same inputs in
 * the same order give the same outputs.
 */
export class RawNode {
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** The Ready handed out and not yet advanced, with what it holds back until its write is durable. */
  private pending: PendingReady | undefined;
  /**
   * The term and vote storage holds durably (as restored, then as persisted()
   * confirmed). A leader replicates ahead of its own write only while its
   * current term and vote equal these (dissertation §10.2.1).
   */
  private durable: { term: Term; vote: MemberId | undefined };

  constructor(options: RaftOptions, restored: RestoredState = {}) {
    this.raft = new Raft(resolveRaftOptions(options), restored);
    this.prevSoft = this.softState();
    this.prevHard = this.raft.hardState();
    this.durable = { term: this.prevHard.term, vote: this.prevHard.vote };
  }

  get id(): MemberId {
    return this.raft.id;
  }

  /** Advances the core's time by one tick (elections, heartbeats, CheckQuorum). */
  tick(): void {
    this.raft.tick();
  }

  /** Hands the core a message addressed to this member. */
  step(m: Message): void {
    this.raft.step(m);
  }

  /** Leader only: appends a command; it is committed when it shows up in committedEntries. */
  propose(data: Uint8Array): ProposeResult {
    return this.raft.proposeEntry((index, term) => ({ type: 'command', term, index, data }));
  }

  /**
   * Leader only: appends a single-server membership change. Refused while an
   * earlier change (or anything from before this leader's term) is uncommitted.
   */
  proposeConfigChange(change: ConfigChange): ProposeResult {
    const r = this.raft;
    if (r.role === 'leader' && r.log.committed < r.pendingConfigIndex)
      return { ok: false, reason: 'configPending' };
    const result = r.proposeEntry((index, term) => ({ type: 'config', term, index, change }));
    if (result.ok) r.pendingConfigIndex = result.index;
    return result;
  }

  /**
   * Asks for a linearizable read point. The answer comes in a later Ready:
   * readStates ({requestId, index}: serve the read once `index` is applied)
   * or readFailures (no leader, or leadership lost before confirmation).
   */
  readIndex(requestId: string): void {
    const r = this.raft;
    if (r.role === 'leader') leaderRead(r, requestId, r.id);
    else if (r.leaderId !== undefined) {
      r.send({ type: 'readIndex', from: r.id, to: r.leaderId, term: r.term, requestId });
    } else r.readFailures.push({ requestId });
  }

  /** Leader only: hands leadership to `to` (a voter), for a graceful stop. */
  transferLeadership(to: MemberId): void {
    transferLeadership(this.raft, to);
  }

  /**
   * The driver took a snapshot of its applied state at `snapshot.meta.index`:
   * entries up to there are dropped from memory, and the snapshot is what
   * followers that are too far behind receive.
   */
  compact(snapshot: Snapshot): void {
    // A leader's snapshot installed while this one was being saved covers more: keep that one.
    if (snapshot.meta.index <= this.raft.log.snapshotIndex) return;
    this.raft.log.compact(snapshot.meta.index);
    this.raft.latestSnapshot = snapshot;
  }

  /**
   * Leader only: takes its pending append, heartbeat and snapshot messages
   * out now, ahead of the next Ready, with the newest heartbeat round among
   * them. For a driver that is still persisting the previous Ready: without
   * this, a slow fsync would hold back heartbeats and cost the leadership.
   * Empty unless this member's current term and vote are durable
   * (dissertation §10.2.1): the core checks that, not the driver.
   */
  takeLeaderMessages(): { messages: Message[]; heartbeatRound: number | undefined } {
    const r = this.raft;
    if (!this.mayReplicateEarly()) return { messages: [], heartbeatRound: undefined };
    const messages = r.msgs.filter(isLeaderReplication);
    if (messages.length === 0) return { messages, heartbeatRound: undefined };
    r.msgs = r.msgs.filter((m) => !isLeaderReplication(m));
    const heartbeatRound = r.roundToReport;
    r.roundToReport = undefined;
    return { messages, heartbeatRound };
  }

  hasReady(): boolean {
    const r = this.raft;
    return (
      r.readRoundWanted ||
      r.msgs.length > 0 ||
      r.log.pendingSnapshot !== undefined ||
      r.log.lastIndex() > r.log.stableIndex ||
      r.log.committed > r.log.applying ||
      r.readStates.length > 0 ||
      r.readFailures.length > 0 ||
      r.roundToReport !== undefined ||
      !sameHardState(r.hardState(), this.prevHard) ||
      !sameSoftState(this.softState(), this.prevSoft)
    );
  }

  /**
   * The next batch of work (see ready.ts for the order the driver follows).
   * Call persisted(ready), then advance(ready), before asking for another.
   */
  ready(): Ready {
    if (this.pending) throw new Error('ready() called again before advance()');
    const r = this.raft;
    flushReadRound(r);
    const soft = this.softState();
    const hard = r.hardState();
    const hardChanged = !sameHardState(hard, this.prevHard);
    const entries = r.log.unstableEntries();
    const snapshot = r.log.pendingSnapshot;
    const early = this.mayReplicateEarly();
    const messagesNow = early ? r.msgs.filter(isLeaderReplication) : [];
    const messagesAfter = early ? r.msgs.filter((m) => !isLeaderReplication(m)) : r.msgs;
    const committed = r.log.entriesToApply();
    const durableCount = durableCommittedCount({ committedEntries: committed, entries, snapshot });
    const rd: Ready = {
      softState: sameSoftState(soft, this.prevSoft) ? undefined : soft,
      hardState: hardChanged ? hard : undefined,
      snapshot,
      entries,
      messages: messagesNow,
      committedEntries: committed.slice(0, durableCount),
      readStates: r.readStates,
      readFailures: r.readFailures,
      heartbeatRound: r.roundToReport,
      mustSync:
        entries.length > 0 ||
        snapshot !== undefined ||
        (hardChanged && (hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote)),
    };
    r.msgs = [];
    r.readStates = [];
    r.readFailures = [];
    r.roundToReport = undefined;
    r.log.pendingSnapshot = undefined;
    r.log.applying = Math.max(r.log.applying, lastIndexOf(committed) ?? 0);
    this.prevSoft = soft;
    if (rd.hardState) this.prevHard = rd.hardState;
    this.pending = {
      ready: rd,
      held: { messages: messagesAfter, committedEntries: committed.slice(durableCount) },
      persisted: false,
    };
    return rd;
  }

  /**
   * The driver has made `ready`'s snapshot, entries and hard state durable
   * (or there was nothing to write). Returns what the core held back until
   * then: the messages that vouch for the write, and the committed entries
   * it covered. Also the moment the leader may count its own copy of the
   * new entries towards a commit.
   */
  persisted(ready: Ready): Persisted {
    const pending = this.pending;
    if (pending?.ready !== ready) throw new Error('persisted() with a Ready that is not the pending one');
    if (pending.persisted) throw new Error('persisted() called twice for one Ready');
    pending.persisted = true;
    const r = this.raft;
    if (ready.hardState) this.durable = { term: ready.hardState.term, vote: ready.hardState.vote };
    const lastEntry = ready.entries[ready.entries.length - 1];
    if (lastEntry) r.log.stableTo(lastEntry.index, lastEntry.term);
    r.onStable(r.log.stableIndex);
    return pending.held;
  }

  /** The driver has carried out `ready`: persisted, sent, and applied its committed entries. */
  advance(ready: Ready): void {
    const pending = this.pending;
    if (pending?.ready !== ready) throw new Error('advance() with a Ready that is not the pending one');
    if (!pending.persisted) throw new Error('advance() before persisted()');
    this.pending = undefined;
    const r = this.raft;
    if (ready.snapshot) r.log.applied = Math.max(r.log.applied, ready.snapshot.meta.index);
    const lastApplied = lastIndexOf(pending.held.committedEntries) ?? lastIndexOf(ready.committedEntries);
    if (lastApplied !== undefined) r.log.applied = Math.max(r.log.applied, lastApplied);
  }

  /**
   * Evidence that this member lost entries it acknowledged (status().lostEntries
   * without building the whole status): the runtime looks after every input.
   */
  lostEntries(): LostEntries | undefined {
    return this.raft.lostEntries;
  }

  status(): RaftStatus {
    const r = this.raft;
    return {
      id: r.id,
      role: r.role,
      term: r.term,
      vote: r.vote,
      leaderId: r.leaderId,
      commitIndex: r.log.committed,
      appliedIndex: r.log.applied,
      lastIndex: r.log.lastIndex(),
      snapshotIndex: r.log.snapshotIndex,
      config: r.config,
      leaseRound: r.leaseRoundInForce(),
      leadTransferee: r.leadTransferee,
      lostEntries: r.lostEntries,
    };
  }

  /**
   * Leader: the best transfer target — among the voters (other than itself)
   * heard from within the last two heartbeat intervals, the one whose log
   * matches the most; only if none was heard from, the best-matching of all.
   * A voter that is down would leave the cluster leaderless until the
   * transfer times out and an election follows.
   */
  mostCaughtUpVoter(): MemberId | undefined {
    const r = this.raft;
    const recentTicks = 2 * r.opts.heartbeatTicks;
    let best: { id: MemberId; recent: boolean; match: number } | undefined;
    for (const id of r.config.voters) {
      const pr = r.progress.get(id);
      if (id === r.id) continue;
      const candidate = {
        id,
        recent: pr !== undefined && r.tickCount - pr.lastHeardTick <= recentTicks,
        match: pr?.match ?? -1,
      };
      const better =
        best === undefined ||
        (candidate.recent && !best.recent) ||
        (candidate.recent === best.recent && candidate.match > best.match);
      if (better) best = candidate;
    }
    return best?.id;
  }

  /** The in-memory log after the snapshot point (for tests and invariant checkers). */
  entries(): readonly Entry[] {
    return this.raft.log.allEntries();
  }

  /** The term of the entry at `index`, if this member still holds it. */
  termAt(index: LogIndex): Term | undefined {
    return this.raft.log.term(index);
  }

  /** A leader whose current term and vote are durable may replicate before its own write. */
  private mayReplicateEarly(): boolean {
    const r = this.raft;
    return r.role === 'leader' && r.term === this.durable.term && r.vote === this.durable.vote;
  }

  private softState(): SoftState {
    return { role: this.raft.role, term: this.raft.term, leaderId: this.raft.leaderId };
  }
}

interface PendingReady {
  readonly ready: Ready;
  /** Released by persisted(). */
  readonly held: Persisted;
  persisted: boolean;
}

function lastIndexOf(entries: readonly Entry[]): LogIndex | undefined {
  return entries[entries.length - 1]?.index;
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

function sameSoftState(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.term === b.term && a.leaderId === b.leaderId;
}
