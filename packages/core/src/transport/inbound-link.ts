import { randomBytes } from 'node:crypto';
import type WebSocket from 'ws';
import type { PeerMessage as Message } from '../peer-message.js';
import type { MemberId } from '../raft/types.js';
import { HANDSHAKE_FRAME_BYTES_MAX, HANDSHAKE_NONCE_BYTES, Handshake } from './handshake.js';
import type { LinkFailureLog } from './link-failure-log.js';
import { linkHint } from './link-hints.js';
import type { TransportLogger } from './transport.js';

/** What one accepted connection needs. */
export interface InboundLinkOptions {
  readonly ownId: MemberId;
  readonly secret: Uint8Array | undefined;
  readonly clusterId: string;
  /** Ids allowed to link to this member (see HandshakeParams.isKnownPeer). */
  readonly isKnownPeer: ((id: MemberId) => boolean) | undefined;
  readonly handshakeTimeoutMs: number;
  readonly decode: (bytes: Uint8Array) => Message;
  readonly logger: TransportLogger;
  /** The remote address, for logs only: nothing is decided on it. */
  readonly remote: string;
  /** The remote host (no port), which keys failures of clients that did not prove who they are. */
  readonly remoteHost: string;
  /** Where failed handshakes are logged, rate-limited per claimed member id or, for any other claim, per host. */
  readonly failures: LinkFailureLog;
  /** The peer proved `peerId`; from now on its frames are decoded. */
  readonly onAuthenticated: (link: InboundLink) => void;
  /** A frame that decoded, came from the authenticated peer and is addressed to this member. */
  readonly onMessage: (msg: Message) => void;
  /** The socket closed, for whatever reason; called exactly once. */
  readonly onClosed: (link: InboundLink) => void;
}

/** WebSocket close codes sent before dropping a bad peer (RFC 6455 §7.4.1). */
const CLOSE_PROTOCOL_ERROR = 1002;
const CLOSE_POLICY_VIOLATION = 1008;

/**
 * The incoming half of one member pair: a connection a peer dialled to us.
 * Runs the handshake as acceptor within a deadline, then decodes every
 * binary frame. Any breach — failed handshake, text frame, undecodable
 * frame, a `from` other than the proved id, a `to` other than us — closes
 * THIS connection and is logged; nothing else is affected.
 */
export class InboundLink {
  private authenticatedId: MemberId | undefined;
  private closing = false;
  private readonly handshake: Handshake;
  private readonly deadline: NodeJS.Timeout;

  constructor(
    private readonly socket: WebSocket,
    private readonly options: InboundLinkOptions,
  ) {
    this.handshake = new Handshake({
      role: 'acceptor',
      ownId: options.ownId,
      expectedPeerId: undefined,
      isKnownPeer: options.isKnownPeer,
      secret: options.secret,
      clusterId: options.clusterId,
      nonce: new Uint8Array(randomBytes(HANDSHAKE_NONCE_BYTES)),
    });
    this.deadline = setTimeout(() => this.refuseHandshake('handshake-timeout'), options.handshakeTimeoutMs);
    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('error', (error) => {
      // ws reports oversized frames (maxPayload) and invalid framing here, then closes the socket itself;
      // those are the peer's fault. Resets and broken pipes are what a peer dying looks like.
      const code = (error as NodeJS.ErrnoException).code ?? '';
      const level = code.startsWith('WS_ERR_') ? 'warn' : 'debug';
      options.logger[level](
        { peer: this.peerLabel(), remote: options.remote, err: error },
        'peer connection error',
      );
    });
    socket.on('close', () => {
      clearTimeout(this.deadline);
      this.closing = true;
      options.onClosed(this);
    });
    for (const frame of this.handshake.start()) socket.send(frame);
  }

  /** The id the peer proved, once the handshake is done. */
  get peerId(): MemberId | undefined {
    return this.authenticatedId;
  }

  /** Destroys the connection without a closing handshake; 'close' follows, then `onClosed`. */
  terminate(): void {
    this.closing = true;
    clearTimeout(this.deadline);
    this.socket.terminate();
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.closing) return;
    if (this.authenticatedId === undefined) {
      this.onHandshakeFrame(data, isBinary);
      return;
    }
    if (!isBinary) {
      this.refuse('text-frame-after-handshake', CLOSE_PROTOCOL_ERROR);
      return;
    }
    let msg: Message;
    try {
      msg = this.options.decode(rawDataToBytes(data));
    } catch (error) {
      this.refuse('malformed-frame', CLOSE_PROTOCOL_ERROR, error);
      return;
    }
    if (msg.from !== this.authenticatedId) {
      this.refuse('wrong-sender', CLOSE_POLICY_VIOLATION, undefined, { claimedFrom: msg.from });
      return;
    }
    if (msg.to !== this.options.ownId) {
      this.refuse('wrong-recipient', CLOSE_POLICY_VIOLATION, undefined, { claimedTo: msg.to });
      return;
    }
    try {
      this.options.onMessage(msg);
    } catch (error) {
      // A throwing handler is a bug on this side, not the peer's: log it, keep the link.
      this.options.logger.error({ peer: this.authenticatedId, err: error }, 'onMessage handler threw');
    }
  }

  private onHandshakeFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const bytes = rawDataToBytes(data);
    if (isBinary || bytes.byteLength > HANDSHAKE_FRAME_BYTES_MAX) {
      this.refuseHandshake('malformed');
      return;
    }
    const step = this.handshake.receive(Buffer.from(bytes).toString('utf8'));
    for (const frame of step.send) this.socket.send(frame);
    if (step.status === 'failed') {
      this.refuseHandshake(step.reason);
    } else if (step.status === 'done') {
      clearTimeout(this.deadline);
      this.authenticatedId = step.peerId;
      this.options.failures.recovered(
        `from ${step.peerId}`,
        { peer: step.peerId, remote: this.options.remote },
        'peer authenticated',
      );
      this.options.onAuthenticated(this);
    }
  }

  /**
   * Closes a connection whose handshake failed, telling an honest dialer why
   * in the close reason ('handshake-failed:<failure>'), and logs it with the
   * id the client claimed (unproved) and its address, rate-limited: per
   * member when it claimed a member's id, else per host — a client picks
   * the id it claims, and a fresh one per connection must not earn a fresh
   * line each time.
   */
  private refuseHandshake(failure: string): void {
    if (this.closing) return;
    const claimed = this.handshake.claimedPeerId;
    const { remote, remoteHost, isKnownPeer } = this.options;
    const member = claimed !== undefined && (isKnownPeer?.(claimed) ?? false);
    this.options.failures.failure(
      member ? `from ${claimed}` : `from host ${remoteHost}`,
      failure,
      { claimedPeer: claimed ?? '(none)', remote, hint: linkHint(failure) },
      'refused a peer link: its handshake failed',
    );
    this.close(`handshake-failed:${failure}`, CLOSE_POLICY_VIOLATION);
  }

  private refuse(reason: string, code: number, error?: unknown, details: object = {}): void {
    if (this.closing) return;
    this.options.logger.warn(
      { peer: this.peerLabel(), remote: this.options.remote, reason, ...details, err: error },
      'closing peer connection',
    );
    this.close(reason, code);
  }

  private close(reason: string, code: number): void {
    this.closing = true;
    clearTimeout(this.deadline);
    // Send a close frame so an honest peer learns why, but do not wait for its reply.
    this.socket.close(code, reason);
    this.socket.terminate();
  }

  private peerLabel(): string {
    return this.authenticatedId ?? '(unauthenticated)';
  }
}

function rawDataToBytes(data: WebSocket.RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
