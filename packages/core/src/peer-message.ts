import type { BatonErrorCode } from './errors.js';
import type { LogIndex, MemberId, Message, Term } from './raft/types.js';

/**
 * A follower hands a command to the leader (DESIGN.md §3, forwarding).
 * `term` is the sender's current term (informational; not a Raft message).
 */
export interface ForwardRequest {
  readonly type: 'forward';
  readonly from: MemberId;
  readonly to: MemberId;
  readonly term: Term;
  readonly requestId: string;
  readonly data: Uint8Array;
}

/**
 * The leader's answer: where it appended the command (`index`, `entryTerm`),
 * or why it could not (`errorCode`, empty on success). It is sent before the
 * append that carries the entry, on the same link, so the follower knows what
 * to wait for before it can apply the entry; it resolves its caller once it
 * has applied an entry of `entryTerm` at `index` itself.
 */
export interface ForwardResponse {
  readonly type: 'forwardResp';
  readonly from: MemberId;
  readonly to: MemberId;
  readonly term: Term;
  readonly requestId: string;
  readonly index: LogIndex;
  readonly entryTerm: Term;
  readonly errorCode: BatonErrorCode | '';
}

/** Most leases one keep-alive message may name. */
export const KEEP_ALIVE_LEASES_MAX = 4096;

/**
 * A member keeps its leases alive: one message to the leader names them all
 * (DESIGN.md §2.3: keep-alives go to the leader and are not logged).
 */
export interface KeepAliveRequest {
  readonly type: 'keepAlive';
  readonly from: MemberId;
  readonly to: MemberId;
  readonly term: Term;
  readonly requestId: string;
  readonly leaseIds: readonly number[];
}

/**
 * The leader's answer: for each lease asked about, in order, the TTL it
 * restarted (ms), or 0 when the lease no longer exists. A member that cannot
 * answer as the only leader (`errorCode` BATON_NOT_LEADER) restarts nothing.
 */
export interface KeepAliveResponse {
  readonly type: 'keepAliveResp';
  readonly from: MemberId;
  readonly to: MemberId;
  readonly term: Term;
  readonly requestId: string;
  readonly errorCode: BatonErrorCode | '';
  readonly ttlsMs: readonly number[];
}

/** Everything that travels between members: Raft messages, and the runtime's forwarding and keep-alives. */
export type PeerMessage = Message | ForwardRequest | ForwardResponse | KeepAliveRequest | KeepAliveResponse;
export type PeerMessageType = PeerMessage['type'];

/** The runtime's own messages, which the Raft core never sees. */
const RUNTIME_TYPES: ReadonlySet<PeerMessageType> = new Set([
  'forward',
  'forwardResp',
  'keepAlive',
  'keepAliveResp',
]);

export function isRaftMessage(m: PeerMessage): m is Message {
  return !RUNTIME_TYPES.has(m.type);
}
