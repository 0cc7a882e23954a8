/**
 * The vocabulary of the Raft core: log entries, persistent state, snapshots
 * and the messages members exchange. Plain data only — every value here can
 * be encoded by the wire codec and the write-ahead log without loss.
 *
 * Names follow the Raft paper (Ongaro & Ousterhout, "In Search of an
 * Understandable Consensus Algorithm", and Ongaro's dissertation).
 */

/** A member's id: a short, non-empty string chosen by the user (e.g. 'n1'). */
export type MemberId = string;
/** A Raft term. Terms only grow; 0 means "before any election". */
export type Term = number;
/** A position in the replicated log; the first entry has index 1, 0 means "none". */
export type LogIndex = number;

/** A change of cluster membership, one server at a time (dissertation §4.1). */
export type ConfigChange =
  | { readonly op: 'addVoter'; readonly id: MemberId; readonly address?: string }
  | { readonly op: 'addLearner'; readonly id: MemberId; readonly address?: string }
  | { readonly op: 'removeMember'; readonly id: MemberId };

/**
 * One log entry.
 * - `command`: opaque bytes for the coordination state machine.
 * - `noop`: appended by every new leader so that it can commit an entry of
 *   its own term (paper §5.4.2 / §8); also what `leadership()` waits for.
 * - `config`: a membership change; it takes effect once committed.
 */
export type Entry =
  | { readonly type: 'command'; readonly term: Term; readonly index: LogIndex; readonly data: Uint8Array }
  | { readonly type: 'noop'; readonly term: Term; readonly index: LogIndex }
  | { readonly type: 'config'; readonly term: Term; readonly index: LogIndex; readonly change: ConfigChange };

/** The state a member must persist (fsync) before it answers any message. */
export interface HardState {
  readonly term: Term;
  /** Whom this member voted for in `term`, if anyone. */
  readonly vote: MemberId | undefined;
  /**
   * The highest index known committed. Persisted because configuration
   * changes take effect when committed: a restarted member rebuilds the
   * configuration in force from the entries up to this index.
   */
  readonly commit: LogIndex;
}

/** The membership in force: who votes, who only replicates, and addresses learned at run time. */
export interface ClusterConfig {
  readonly voters: readonly MemberId[];
  readonly learners: readonly MemberId[];
  /** Addresses of members added at run time (the initial ones come from each member's options). */
  readonly addresses: Readonly<Record<MemberId, string>>;
}

/** Describes the applied state a snapshot captures. */
export interface SnapshotMeta {
  /** The last log index the snapshot includes. */
  readonly index: LogIndex;
  /** The term of the entry at `index`. */
  readonly term: Term;
  /** The membership in force at `index`. */
  readonly config: ClusterConfig;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The state machine's serialized state at `meta.index`; opaque to the core. */
  readonly data: Uint8Array;
}

interface MessageBase {
  readonly from: MemberId;
  readonly to: MemberId;
  /** The sender's current term. */
  readonly term: Term;
}

/** RequestVote (paper §5.2) and PreVote (dissertation §9.6). */
export interface VoteRequest extends MessageBase {
  readonly type: 'vote' | 'preVote';
  readonly lastLogIndex: LogIndex;
  readonly lastLogTerm: Term;
  /** Set when the campaign was started by a leadership transfer: voters skip the leader-stickiness check. */
  readonly transfer: boolean;
}

export interface VoteResponse extends MessageBase {
  readonly type: 'voteResp' | 'preVoteResp';
  readonly reject: boolean;
}

/** AppendEntries (paper §5.3). */
export interface AppendRequest extends MessageBase {
  readonly type: 'append';
  readonly prevLogIndex: LogIndex;
  readonly prevLogTerm: Term;
  readonly entries: readonly Entry[];
  readonly commit: LogIndex;
}

export interface AppendResponse extends MessageBase {
  readonly type: 'appendResp';
  readonly reject: boolean;
  /**
   * On success: the highest index now known to match the leader's log.
   * On reject: the `prevLogIndex` that was rejected.
   */
  readonly index: LogIndex;
  /** On reject, the fast-backtracking hint: where the leader should probe next (see raft-log findConflictByTerm). */
  readonly hintIndex: LogIndex;
  readonly hintTerm: Term;
}

/**
 * A heartbeat. `round` numbers the leader's heartbeat broadcasts in a term;
 * the acknowledgement of a round by a quorum renews the leader lease and
 * confirms ReadIndex requests (dissertation §6.4).
 */
export interface HeartbeatRequest extends MessageBase {
  readonly type: 'heartbeat';
  readonly commit: LogIndex;
  readonly round: number;
}

export interface HeartbeatResponse extends MessageBase {
  readonly type: 'heartbeatResp';
  readonly round: number;
}

/** InstallSnapshot (paper §7), sent whole. */
export interface SnapshotRequest extends MessageBase {
  readonly type: 'snapshot';
  readonly snapshot: Snapshot;
}

/** Tells a caught-up follower to campaign at once (leadership transfer, dissertation §3.10). */
export interface TimeoutNowRequest extends MessageBase {
  readonly type: 'timeoutNow';
}

/** A follower asks the leader for a read index on behalf of a local read. */
export interface ReadIndexRequest extends MessageBase {
  readonly type: 'readIndex';
  readonly requestId: string;
}

export interface ReadIndexResponse extends MessageBase {
  readonly type: 'readIndexResp';
  readonly requestId: string;
  /** The index the read must wait for; 0 with `reject` when the leader could not serve it. */
  readonly index: LogIndex;
  readonly reject: boolean;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotRequest
  | TimeoutNowRequest
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];

export const MESSAGE_TYPES: readonly MessageType[] = [
  'vote',
  'preVote',
  'voteResp',
  'preVoteResp',
  'append',
  'appendResp',
  'heartbeat',
  'heartbeatResp',
  'snapshot',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
];

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';
