import type { Entry, HardState, LogIndex, MemberId, Message, Role, Snapshot, Term } from './types.js';

/** A linearizable read that may now be served once `index` is applied (dissertation §6.4). */
export interface ReadState {
  readonly requestId: string;
  readonly index: LogIndex;
}

/** A read the leader could not serve (not leader, or leadership lost before confirmation). */
export interface ReadFailure {
  readonly requestId: string;
}

/** Volatile state worth reporting when it changes. */
export interface SoftState {
  readonly role: Role;
  readonly term: Term;
  readonly leaderId: MemberId | undefined;
}

/**
 * One batch of work the core hands to its driver, in two halves: what may
 * happen at once, and what the core releases only once the driver reports
 * the batch's write durable (RawNode.persisted). The driver:
 * 1. notes its monotonic clock when `heartbeatRound` is set (the lease's
 *    start should a quorum acknowledge that round), before sending anything;
 * 2. may send `messages` and apply `committedEntries` at once: the core put
 *    there only what vouches for nothing unwritten — a leader's own appends,
 *    heartbeats and snapshots when its term and vote are already durable
 *    (Raft dissertation §10.2.1; it counts its own copy of an entry only
 *    once persisted() says it is durable), and committed entries an earlier
 *    Ready made durable;
 * 3. persists `snapshot` (if any), then `entries` (an entry whose index is
 *    already stored replaces it and every later stored entry), then
 *    `hardState` (if any) — and fsyncs when `mustSync`;
 * 4. calls persisted(ready) once that write is durable (at once when there
 *    is nothing to write), and sends and applies what it returns: votes,
 *    append acknowledgements and everything else that must not leave before
 *    the write, and the committed entries that were part of it (after
 *    `snapshot`, which replaces the state machine's state first);
 * 5. calls advance(ready).
 * A driver that follows these steps literally cannot send a vote or an
 * acknowledgement before its write: the core does not hand them out sooner.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  /** May leave before the write (see above). */
  readonly messages: readonly Message[];
  /** Durable already: may be applied before the write, and before persisted()'s entries. */
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  readonly readFailures: readonly ReadFailure[];
  readonly heartbeatRound: number | undefined;
  readonly mustSync: boolean;
}

/** What the core releases once a Ready's write is durable (RawNode.persisted). */
export interface Persisted {
  /** Everything the Ready had to say that vouches for its write: send now. */
  readonly messages: readonly Message[];
  /** Committed entries the write covered: apply after Ready.committedEntries (and its snapshot). */
  readonly committedEntries: readonly Entry[];
}
