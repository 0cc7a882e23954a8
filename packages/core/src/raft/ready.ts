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
 * One batch of work the core hands to its driver. The driver must, in order:
 * 1. persist `snapshot` (if any), then `entries` (an entry whose index is
 *    already stored replaces it and every later stored entry), then
 *    `hardState` (if any) — and fsync when `mustSync`;
 * 2. only then send `messages` (a vote or an append acknowledged before it is
 *    durable would break the Raft safety argument). One exception is safe: a
 *    leader's own `append`, `heartbeat` and `snapshot` messages may leave
 *    before its disk write when the Ready changes neither term nor vote
 *    (dissertation §10.2.1) — they acknowledge nothing, and the leader counts
 *    its own copy only once advance() says it is durable;
 * 3. apply `committedEntries` in order to the state machine (a `snapshot`
 *    replaces the state machine's state first). Committed entries below the
 *    first of `entries` are durable already (an earlier Ready wrote them), so
 *    when there is no `snapshot` the driver may apply those before step 1;
 * 4. call `advance(ready)`.
 * `heartbeatRound`, when set, is the leader-lease round this batch broadcasts:
 * the driver notes its monotonic clock when it takes the batch (before
 * sending), which is the lease's start should a quorum acknowledge it.
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
  readonly readFailures: readonly ReadFailure[];
  readonly heartbeatRound: number | undefined;
  readonly mustSync: boolean;
}
