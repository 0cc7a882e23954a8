import type { PeerMessage as Message } from '../peer-message.js';
import type { MemberId } from '../raft/types.js';

/**
 * Callbacks a transport delivers to, given at construction. They run on the
 * transport's own I/O callbacks; none of them is called after `close()` began.
 */
export interface TransportEvents {
  /**
   * A message from an authenticated peer. Only messages the injected decoder
   * accepted, and only when `msg.from` is the id the peer proved in the
   * handshake and `msg.to` is this member, ever reach this callback.
   */
  onMessage(msg: Message): void;
  /** The link this member dialled to `id` finished its handshake: `send` to `id` can now deliver. */
  onPeerUp?(id: MemberId): void;
  /** The link to `id` that was up went down; messages to `id` are dropped until `onPeerUp` again. */
  onPeerDown?(id: MemberId): void;
}

/**
 * Moves Raft messages between members. Delivery is best effort: messages may
 * be dropped (link down, queue full) but never reordered on one link, and
 * never delivered twice by the transport itself. Raft retries on its own.
 */
export interface Transport {
  /** Starts accepting peer links; resolves once listening (port 0 → the port the system chose). */
  listen(): Promise<{ port: number }>;
  /**
   * Never throws, never blocks; drops when the link to `msg.to` is down or its
   * queue is full. Returns false when the message was certainly not sent (it
   * may still be lost when true: the link can die with it in flight).
   */
  send(msg: Message): boolean;
  /** Sets whom to dial: member ids → ws:// or wss:// URLs. This member's own id is ignored. */
  setPeers(peers: Readonly<Record<MemberId, string>>): void;
  /** Closes the server and every link; idempotent, and resolves once everything is closed. */
  close(): Promise<void>;
}

/** The logging surface the transport uses; a pino logger fits it. */
export interface TransportLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}
