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

/** Everything that travels between members: Raft messages, and the runtime's forwarding. */
export type PeerMessage = Message | ForwardRequest | ForwardResponse;
export type PeerMessageType = PeerMessage['type'];

export function isRaftMessage(m: PeerMessage): m is Message {
  return m.type !== 'forward' && m.type !== 'forwardResp';
}
