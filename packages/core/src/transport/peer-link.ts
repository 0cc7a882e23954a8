import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { MemberId } from '../raft/types.js';
import type { Backoff } from './backoff.js';
import { HANDSHAKE_FRAME_BYTES_MAX, HANDSHAKE_NONCE_BYTES, Handshake } from './handshake.js';
import type { LinkFailureLog } from './link-failure-log.js';
import { linkHint, ROUTINE_LINK_CAUSES } from './link-hints.js';
import { SendQueue } from './send-queue.js';
import type { TransportLogger } from './transport.js';
import type { ResolvedTlsOptions } from './transport-options.js';

/** What one outgoing link needs. */
export interface PeerLinkOptions {
  readonly ownId: MemberId;
  readonly peerId: MemberId;
  /** ws:// or wss:// address of the peer. */
  readonly url: string;
  readonly secret: Uint8Array | undefined;
  readonly clusterId: string;
  readonly tls: ResolvedTlsOptions | undefined;
  readonly handshakeTimeoutMs: number;
  /** Ping period; a link that shows no sign of life for a whole period is dropped and redialled. */
  readonly keepAliveMs: number;
  readonly sendQueueMessagesMax: number;
  readonly sendQueueBytesMax: number;
  readonly socketBufferedBytesMax: number;
  readonly backoff: Backoff;
  readonly logger: TransportLogger;
  /** Where failures to connect or authenticate are logged, rate-limited per peer. */
  readonly failures: LinkFailureLog;
  /** The handshake finished: frames now reach the peer. */
  readonly onUp: () => void;
  /** A link that was up closed. Not called by `close()`. */
  readonly onDown: () => void;
}

/** Counters of one link, for tests and metrics. */
export interface PeerLinkStats {
  readonly up: boolean;
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  /** Frames handed to the socket. */
  readonly sentMessages: number;
  /** Frames refused because the send queue was full. */
  readonly droppedQueueFull: number;
  /** Frames refused because the link was not up, or still queued when it went down. */
  readonly droppedLinkDown: number;
  /** Handshakes completed. */
  readonly connects: number;
}

type LinkState = 'idle' | 'connecting' | 'handshaking' | 'up' | 'waiting' | 'closed';

/**
 * The outgoing half of one member pair: dials the peer, runs the handshake
 * as dialer, then only writes frames (the peer sends on the link it dialled
 * itself). Redials with backoff whenever the socket closes or errs, until
 * `close()`. Frames are never buffered while the link is down — Raft
 * retries. While it is up they wait in a queue bounded by count and bytes:
 * until the end of the current turn of the event loop, and longer while the
 * socket itself holds more than `socketBufferedBytesMax`.
 *
 * Why a turn: the frames of one turn (a leader's appends, its commit notice
 * and the next proposal's entries; a follower's acknowledgements) leave in
 * one system call. On loopback each write runs the receiver's TCP stack and
 * wakes it at once, so a write per frame let a member pre-empt the leader
 * between two sends of one Ready; and the peer now reads them in one turn,
 * so one Ready and one WAL round answer them all.
 */
export class PeerLink {
  private state: LinkState = 'idle';
  private socket: WebSocket | undefined;
  private handshake: Handshake | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private redial: NodeJS.Timeout | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  /** A pong arrived since the last keep-alive check. */
  private ponged = false;
  /** Writes the socket completed; with a backed-up socket, completions prove the peer is reading. */
  private writesCompleted = 0;
  private writesAtCheck = 0;
  private bufferedAtCheck = 0;
  /** Set once this side gave up on the current socket (and logged why), so its close adds nothing. */
  private abandoned = false;
  private readonly queue: SendQueue;
  private sent = 0;
  private droppedDown = 0;
  private connects = 0;
  /** Set after a queue-full drop is logged, so a stuck peer logs once per episode, not once per frame. */
  private warnedQueueFull = false;
  private closedPromise: Promise<void> | undefined;
  /** A flush of the queue is set for the end of this turn of the event loop. */
  private flushScheduled = false;
  /** Fired after every write the socket accepted; drains the queue as the socket empties. */
  private readonly onWritten = (error?: Error): void => {
    if (error !== undefined && error !== null) return;
    this.writesCompleted += 1;
    if (this.queue.length > 0) this.scheduleFlush();
  };
  private readonly flush = (): void => {
    this.flushScheduled = false;
    this.writeQueued();
  };

  constructor(private readonly options: PeerLinkOptions) {
    this.queue = new SendQueue({
      messagesMax: options.sendQueueMessagesMax,
      bytesMax: options.sendQueueBytesMax,
    });
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  /** Starts dialling; no-op unless the link is new. */
  start(): void {
    if (this.state === 'idle') this.dial();
  }

  /** Queues `frame` for the end of this turn (see the class); returns false when it was dropped. Never throws. */
  send(frame: Uint8Array): boolean {
    if (this.state !== 'up' || this.socket === undefined) return this.recordDropLinkDown();
    if (!this.queue.fits(frame)) {
      // A turn's frames that overflow the queue (a leader catching a follower up) go to the socket
      // now, as far as it takes them, before anything is dropped.
      this.writeQueued();
      // A frame bigger than the whole queue (maxFrameBytes may exceed sendQueueBytesMax) goes to an idle socket.
      if (this.queue.length === 0 && this.socket.bufferedAmount < this.options.socketBufferedBytesMax) {
        this.write(this.socket, frame);
        return true;
      }
    }
    if (this.queue.push(frame)) {
      this.scheduleFlush();
      return true;
    }
    if (!this.warnedQueueFull) {
      this.warnedQueueFull = true;
      this.options.logger.warn(
        { peer: this.options.peerId, queuedMessages: this.queue.length, queuedBytes: this.queue.byteLength },
        'peer send queue full; dropping messages until it drains',
      );
    }
    return false;
  }

  /** Counts a frame the caller dropped without handing it over because the link was down. */
  recordDropLinkDown(): false {
    this.droppedDown += 1;
    return false;
  }

  stats(): PeerLinkStats {
    return {
      up: this.state === 'up',
      queuedMessages: this.queue.length,
      queuedBytes: this.queue.byteLength,
      sentMessages: this.sent,
      droppedQueueFull: this.queue.refusedCount,
      droppedLinkDown: this.droppedDown,
      connects: this.connects,
    };
  }

  /** Stops for good: no redial, socket destroyed. Idempotent; resolves once the socket closed. */
  close(): Promise<void> {
    if (this.closedPromise !== undefined) return this.closedPromise;
    // What this turn sent still leaves: a member that stops says its last words (a vote granted in a
    // hand-over, an acknowledgement) before its transport closes.
    this.writeQueued();
    this.state = 'closed';
    clearTimeout(this.deadline);
    clearTimeout(this.redial);
    clearInterval(this.keepAlive);
    this.droppedDown += this.queue.clear();
    const socket = this.socket;
    this.socket = undefined;
    this.closedPromise =
      socket === undefined || socket.readyState === WebSocket.CLOSED
        ? Promise.resolve()
        : new Promise((resolve) => {
            socket.once('close', () => resolve());
            socket.terminate();
          });
    return this.closedPromise;
  }

  private dial(): void {
    const { url, tls, handshakeTimeoutMs, peerId, logger } = this.options;
    this.state = 'connecting';
    let socket: WebSocket;
    try {
      socket = new WebSocket(url, {
        // The acceptor sends only handshake frames on this socket, so nothing bigger is ever legitimate.
        maxPayload: HANDSHAKE_FRAME_BYTES_MAX,
        perMessageDeflate: false,
        followRedirects: false,
        handshakeTimeout: handshakeTimeoutMs,
        ...(tls === undefined ? {} : { key: tls.key, cert: tls.cert, ca: tls.ca, rejectUnauthorized: true }),
      });
    } catch (error) {
      this.failed('dial-error', { err: String(error) });
      this.scheduleRedial();
      return;
    }
    this.socket = socket;
    socket.binaryType = 'nodebuffer';
    this.deadline = setTimeout(() => this.abandon(socket, 'handshake-timeout'), handshakeTimeoutMs);
    socket.on('open', () => this.onOpen(socket));
    socket.on('message', (data, isBinary) => this.onFrame(socket, data, isBinary));
    socket.on('pong', () => {
      this.ponged = true;
    });
    socket.on('error', (error) => {
      // close() terminates sockets mid-dial on purpose; that is not worth a line in the log.
      if (this.state === 'closed' || socket !== this.socket) return;
      const code = (error as NodeJS.ErrnoException).code ?? error.name;
      if (this.state === 'up') {
        logger.warn({ peer: peerId, url, err: error }, 'peer link error');
        return;
      }
      this.abandoned = true;
      // A reset in the middle of the handshake is the acceptor refusing us, more often than not.
      const cause =
        this.state === 'handshaking' && (code === 'ECONNRESET' || code === 'EPIPE')
          ? 'closed-in-handshake'
          : code;
      this.failed(cause, { err: error.message }, ROUTINE_LINK_CAUSES.has(cause) ? 'info' : 'warn');
    });
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString('utf8')));
  }

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket) return;
    this.state = 'handshaking';
    this.abandoned = false;
    this.handshake = new Handshake({
      role: 'dialer',
      ownId: this.options.ownId,
      expectedPeerId: this.options.peerId,
      secret: this.options.secret,
      clusterId: this.options.clusterId,
      nonce: new Uint8Array(randomBytes(HANDSHAKE_NONCE_BYTES)),
    });
    for (const frame of this.handshake.start()) socket.send(frame);
  }

  private onFrame(socket: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    const handshake = this.handshake;
    if (socket !== this.socket || this.state !== 'handshaking' || handshake === undefined || isBinary) {
      this.abandon(socket, 'unexpected-frame');
      return;
    }
    const step = handshake.receive(rawDataToString(data));
    for (const frame of step.send) socket.send(frame);
    if (step.status === 'failed') {
      this.abandon(socket, step.reason);
    } else if (step.status === 'done') {
      clearTimeout(this.deadline);
      this.state = 'up';
      this.connects += 1;
      this.warnedQueueFull = false;
      this.startKeepAlive(socket);
      this.options.backoff.reset();
      const { peerId, url } = this.options;
      this.options.failures.recovered(`to ${peerId}`, { peer: peerId, url }, 'peer link up');
      this.options.onUp();
    }
  }

  /**
   * Pings every keepAliveMs and drops the link after a period without a pong. One exception: when the
   * socket was backed up at the previous check, our ping sits behind big frames and its pong comes late,
   * so completed writes count as life then. (Not otherwise: the kernel accepts writes to a vanished host
   * until its send buffer fills, which at heartbeat rates takes hours.)
   */
  private startKeepAlive(socket: WebSocket): void {
    this.ponged = true;
    this.bufferedAtCheck = 0;
    this.writesAtCheck = this.writesCompleted;
    this.keepAlive = setInterval(() => {
      const drained = this.bufferedAtCheck > 0 && this.writesCompleted !== this.writesAtCheck;
      if (!this.ponged && !drained) {
        this.abandon(socket, 'keep-alive-timeout');
        return;
      }
      this.ponged = false;
      this.bufferedAtCheck = socket.bufferedAmount;
      this.writesAtCheck = this.writesCompleted;
      socket.ping();
    }, this.options.keepAliveMs);
  }

  /** Gives up on this socket (logging why); its 'close' event schedules the redial. */
  private abandon(socket: WebSocket, reason: string): void {
    if (socket !== this.socket) return;
    if (this.state === 'up') {
      this.options.logger.warn(
        { peer: this.options.peerId, url: this.options.url, reason },
        'peer link dropped',
      );
    } else {
      this.abandoned = true;
      this.failed(reason, {});
    }
    socket.terminate();
  }

  /** Logs a failure to connect or authenticate, with its likely cause; rate-limited per peer. */
  private failed(cause: string, fields: object, firstLevel: 'info' | 'warn' = 'warn'): void {
    const { peerId, url } = this.options;
    this.options.failures.failure(
      `to ${peerId}`,
      cause,
      { peer: peerId, url, ...fields, hint: linkHint(cause) },
      'cannot link to peer',
      firstLevel,
    );
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    const wasUp = this.state === 'up';
    if (this.state === 'handshaking' && !this.abandoned) {
      // The acceptor closes with 'handshake-failed:<failure>' when it refuses our proof; a bare close
      // during the handshake most often means the same.
      const refused = reason.startsWith('handshake-failed');
      this.failed(refused ? 'refused-by-peer' : 'closed-in-handshake', {
        closeCode: code,
        closeReason: reason,
      });
    }
    clearTimeout(this.deadline);
    clearInterval(this.keepAlive);
    this.socket = undefined;
    this.handshake = undefined;
    this.droppedDown += this.queue.clear();
    if (wasUp) {
      this.options.logger.info({ peer: this.options.peerId }, 'peer link down');
      this.options.onDown();
    }
    this.scheduleRedial();
  }

  /**
   * The peer is reachable again (it just dialled us and proved itself): a
   * link waiting out its backoff dials now instead of up to maxMs later.
   */
  dialNowIfWaiting(): void {
    if (this.state !== 'waiting') return;
    clearTimeout(this.redial);
    this.options.backoff.reset();
    this.dial();
  }

  private scheduleRedial(): void {
    if (this.state === 'closed') return;
    this.state = 'waiting';
    this.redial = setTimeout(() => {
      if (this.state === 'waiting') this.dial();
    }, this.options.backoff.nextDelayMs());
  }

  private write(socket: WebSocket, frame: Uint8Array): void {
    this.sent += 1;
    socket.send(frame, { binary: true }, this.onWritten);
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(this.flush);
  }

  /** Writes queued frames as far as the socket takes them, in one corked write call. */
  private writeQueued(): void {
    const socket = this.socket;
    if (this.state !== 'up' || socket === undefined || this.queue.length === 0) return;
    // ws corks each frame's header and payload; corking around them makes the turn one write call.
    const raw = netSocketOf(socket);
    raw?.cork();
    try {
      this.drain();
    } finally {
      raw?.uncork();
    }
  }

  private drain(): void {
    const socket = this.socket;
    while (this.state === 'up' && socket !== undefined && this.queue.length > 0) {
      if (socket.bufferedAmount >= this.options.socketBufferedBytesMax) {
        this.queue.keepOwnCopies(); // they wait past this turn: see SendQueue
        return;
      }
      const frame = this.queue.shift();
      if (frame !== undefined) this.write(socket, frame);
    }
    if (this.queue.length === 0) this.warnedQueueFull = false;
  }
}

function rawDataToString(data: WebSocket.RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return (data instanceof ArrayBuffer ? Buffer.from(data) : data).toString('utf8');
}

/**
 * The TCP (or TLS) socket under a ws connection, to cork while a turn's frames
 * are written. ws keeps it as `_socket`; should a version stop doing so, frames
 * still go out, one write call each.
 */
function netSocketOf(socket: WebSocket): Socket | undefined {
  const raw = (socket as unknown as { _socket?: unknown })._socket;
  return raw !== null && typeof raw === 'object' && 'cork' in raw ? (raw as Socket) : undefined;
}
