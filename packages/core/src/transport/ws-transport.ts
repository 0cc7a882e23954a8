import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { BatonError } from '../errors.js';
import type { PeerMessage as Message } from '../peer-message.js';
import type { MemberId } from '../raft/types.js';
import { Backoff } from './backoff.js';
import { InboundLink } from './inbound-link.js';
import { LinkFailureLog } from './link-failure-log.js';
import { linkHint, ROUTINE_LINK_CAUSES } from './link-hints.js';
import { PeerLink, type PeerLinkStats } from './peer-link.js';
import { addressGroup, hostOf, PendingHandshakes } from './pending-handshakes.js';
import type { Transport, TransportEvents } from './transport.js';
import {
  type ResolvedTransportOptions,
  resolveTransportOptions,
  type WsTransportOptions,
} from './transport-options.js';

/**
 * The Transport over `ws`; the only place that runs a WebSocket server.
 *
 * Topology: every member dials every peer and SENDS only on the link it
 * dialled; it RECEIVES only on links its peers dialled to it. So each pair
 * has two one-way sockets. This was chosen over one shared socket with a
 * tie-break because it needs no tie-break: each side owns its outgoing link's
 * whole life (dial, backoff, queue), a restarted member never races its peer
 * over which duplicate socket survives, and each member dials the address
 * its OWN `members` option gives (DESIGN §3), which a shared socket could not
 * honour for both directions. The price is twice the sockets, which for a
 * cluster of 3–7 members is nothing.
 *
 * Both directions authenticate both ways (handshake.ts): the acceptor learns
 * which member is sending, and the dialer knows it is sending to the member
 * it meant, not to whoever holds the address.
 */
export class WsTransport implements Transport {
  private readonly options: ResolvedTransportOptions;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly links = new Map<MemberId, { url: string; link: PeerLink }>();
  private readonly inbound = new Set<InboundLink>();
  /** The newest authenticated inbound link per peer; an older one from the same peer is dropped. */
  private readonly inboundByPeer = new Map<MemberId, InboundLink>();
  /** Every accepted TCP socket, so `close()` can destroy even those stuck before or in the upgrade. */
  private readonly sockets = new Set<Duplex>();
  /** Inbound sockets still in their handshake (bounded; see PendingHandshakes for who is dropped when full). */
  private readonly pendingHandshakes: PendingHandshakes<Duplex>;
  /** Failed links, both the ones we dial and the ones dialled to us, logged with a rate limit per peer. */
  private readonly failures: LinkFailureLog;
  private listening: Promise<{ port: number }> | undefined;
  private closing: Promise<void> | undefined;

  /** Checks the options (BatonError 'BATON_CONFIG' naming the field); does not listen yet. */
  constructor(
    options: WsTransportOptions,
    private readonly events: TransportEvents,
  ) {
    this.options = resolveTransportOptions(options);
    this.pendingHandshakes = new PendingHandshakes(this.options.pendingHandshakesMax);
    this.failures = new LinkFailureLog(this.options.logger, () => performance.now());
    const { tls, maxPayloadBytes, handshakeTimeoutMs } = this.options;
    // Slow or silent clients must not hold sockets open longer than a handshake may take. Node
    // checks these deadlines only every connectionsCheckingInterval (30 s by default), and
    // without a 'clientError' listener it never closes a connection that timed out before
    // finishing its HTTP request: a client that opened TCP and said nothing stayed forever.
    const deadlines = {
      headersTimeout: handshakeTimeoutMs,
      requestTimeout: handshakeTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(handshakeTimeoutMs / 4))),
    };
    this.server =
      tls === undefined
        ? createHttpServer(deadlines)
        : createHttpsServer({
            ...deadlines,
            key: tls.key,
            cert: tls.cert,
            ca: tls.ca,
            requestCert: true,
            rejectUnauthorized: true,
            handshakeTimeout: handshakeTimeoutMs,
          });
    this.server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
      socket.destroy();
      // Logged like a refused handshake, rate-limited per host; a peer dying mid-request is routine.
      const address = socket as Duplex & { remoteAddress?: string; remotePort?: number };
      const cause = error.code ?? 'bad-request';
      this.failures.failure(
        `from host ${hostOf(address.remoteAddress ?? '?')}`,
        cause,
        { remote: remoteOf(address), hint: linkHint(cause) },
        'refused a connection to the peer port: no valid WebSocket upgrade in time',
        ROUTINE_LINK_CAUSES.has(cause) ? 'info' : 'warn',
      );
    });
    this.server.on('connection', (socket: Duplex) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (_req, res) => {
      res.writeHead(426, { connection: 'close' }).end();
    });
    this.server.on('tlsClientError', (error, socket) => {
      this.options.logger.warn({ remote: remoteOf(socket), err: error }, 'peer TLS handshake failed');
    });
    // ws enforces maxPayload while parsing frame headers, so an oversized frame is refused before it is buffered.
    this.wss = new WebSocketServer({ noServer: true, maxPayload: maxPayloadBytes, perMessageDeflate: false });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
  }

  listen(): Promise<{ port: number }> {
    if (this.closing !== undefined) {
      return Promise.reject(new BatonError('BATON_STOPPED', 'transport is closed'));
    }
    this.listening ??= new Promise((resolve, reject) => {
      const { host, port } = this.options.listen;
      const onError = (error: Error): void => {
        reject(
          new BatonError('BATON_CONFIG', `cannot listen on ${host}:${port}`, {
            field: 'listen',
            value: { host, port },
            cause: error,
          }),
        );
      };
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (error) => this.options.logger.error({ err: error }, 'peer server error'));
        const address = this.server.address();
        resolve({ port: typeof address === 'object' && address !== null ? address.port : port });
      });
    });
    return this.listening;
  }

  send(msg: Message): boolean {
    if (this.closing !== undefined) return false;
    const { id, logger, encode, maxPayloadBytes } = this.options;
    if (msg.to === id || msg.from !== id) {
      // Messages to self never go through the transport, and a member speaks only for itself.
      logger.error({ from: msg.from, to: msg.to, type: msg.type }, 'refusing to send a misaddressed message');
      return false;
    }
    const link = this.links.get(msg.to)?.link;
    if (link === undefined) {
      logger.debug({ to: msg.to, type: msg.type }, 'no link to peer; message dropped');
      return false;
    }
    if (!link.isUp) {
      link.recordDropLinkDown();
      return false;
    }
    let frame: Uint8Array;
    try {
      frame = encode(msg);
    } catch (error) {
      logger.error({ to: msg.to, type: msg.type, err: error }, 'cannot encode message; dropped');
      return false;
    }
    if (frame.byteLength > maxPayloadBytes) {
      // The peer would close the link on it; refusing here keeps the link up for everything else.
      logger.warn(
        { to: msg.to, type: msg.type, bytes: frame.byteLength, maxPayloadBytes },
        'message too big',
      );
      return false;
    }
    return link.send(frame);
  }

  setPeers(peers: Readonly<Record<MemberId, string>>): void {
    if (this.closing !== undefined) return;
    const wanted = new Map<MemberId, string>();
    for (const [peerId, url] of Object.entries(peers)) {
      if (peerId === this.options.id) continue;
      this.checkPeerUrl(peerId, url);
      wanted.set(peerId, url);
    }
    for (const [peerId, { url, link }] of this.links) {
      if (wanted.get(peerId) === url) continue;
      this.links.delete(peerId);
      const wasUp = link.isUp;
      void link.close();
      if (wasUp) this.events.onPeerDown?.(peerId);
    }
    for (const [peerId, url] of wanted) {
      if (this.links.has(peerId)) continue;
      const link = this.createLink(peerId, url);
      this.links.set(peerId, { url, link });
      link.start();
    }
  }

  /** Counters of the outgoing link to `peerId`, or undefined if it is not a peer. */
  peerStats(peerId: MemberId): PeerLinkStats | undefined {
    return this.links.get(peerId)?.link.stats();
  }

  close(): Promise<void> {
    this.closing ??= this.closeEverything();
    return this.closing;
  }

  private async closeEverything(): Promise<void> {
    const linksClosed = [...this.links.values()].map(({ link }) => link.close());
    this.links.clear();
    for (const link of this.inbound) link.terminate();
    const serverClosed = new Promise<void>((resolve) => {
      if (!this.server.listening) {
        resolve();
        return;
      }
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
    });
    this.wss.close();
    await Promise.all([...linksClosed, serverClosed]);
  }

  private createLink(peerId: MemberId, url: string): PeerLink {
    const o = this.options;
    return new PeerLink({
      ownId: o.id,
      peerId,
      url,
      secret: o.secret,
      clusterId: o.clusterId,
      tls: o.tls,
      handshakeTimeoutMs: o.handshakeTimeoutMs,
      keepAliveMs: o.keepAliveMs,
      sendQueueMessagesMax: o.sendQueueMessagesMax,
      sendQueueBytesMax: o.sendQueueBytesMax,
      socketBufferedBytesMax: o.socketBufferedBytesMax,
      backoff: new Backoff({ ...o.reconnect, random: o.random }),
      logger: o.logger,
      failures: this.failures,
      onUp: () => {
        if (this.closing === undefined) this.events.onPeerUp?.(peerId);
      },
      onDown: () => {
        if (this.closing === undefined) this.events.onPeerDown?.(peerId);
      },
    });
  }

  private checkPeerUrl(peerId: MemberId, url: string): void {
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    const expected = this.options.tls === undefined ? ['ws:', 'wss:'] : ['wss:'];
    if (protocol === undefined || !expected.includes(protocol)) {
      throw new BatonError('BATON_CONFIG', `peer ${peerId} needs a ${expected.join(' or ')}// URL`, {
        field: `peers.${peerId}`,
        value: url,
      });
    }
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const remote = remoteOf(req.socket);
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    const evicted = this.pendingHandshakes.add({
      socket,
      group: addressGroup(req.socket.remoteAddress ?? '?'),
      host: hostOf(req.socket.remoteAddress ?? '?'),
      remote,
      since: performance.now(),
    });
    if (evicted !== undefined) {
      // Many peers dialling at once with a small cap (large maxFrameBytes) also get here; they redial.
      this.options.logger.warn(
        { remote: evicted.remote, newcomer: remote, ageMs: Math.round(performance.now() - evicted.since) },
        'pending handshakes full: dropping the oldest from the address holding the most',
      );
      evicted.socket.destroy();
    }
    // Inbound links only receive, so they cannot ping; TCP keep-alive eventually reaps one whose peer vanished.
    req.socket.setKeepAlive(true, this.options.keepAliveMs);
    const settle = (): void => {
      this.pendingHandshakes.delete(socket);
    };
    socket.once('close', settle);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      if (this.closing !== undefined) {
        ws.terminate();
        return;
      }
      const link = new InboundLink(ws, {
        ownId: this.options.id,
        secret: this.options.secret,
        clusterId: this.options.clusterId,
        isKnownPeer: this.isKnownPeer,
        handshakeTimeoutMs: this.options.handshakeTimeoutMs,
        decode: this.options.decode,
        logger: this.options.logger,
        remote,
        remoteHost: hostOf(req.socket.remoteAddress ?? '?'),
        failures: this.failures,
        onAuthenticated: (authenticated) => {
          settle();
          this.onInboundAuthenticated(authenticated);
        },
        onMessage: (msg) => {
          if (this.closing === undefined) this.events.onMessage(msg);
        },
        onClosed: (closed) => {
          settle();
          this.inbound.delete(closed);
          if (closed.peerId !== undefined && this.inboundByPeer.get(closed.peerId) === closed) {
            this.inboundByPeer.delete(closed.peerId);
          }
        },
      });
      this.inbound.add(link);
    });
  }

  /** Configured members and current peers may link to us; no other id, whatever it knows. */
  private readonly isKnownPeer = (id: MemberId): boolean => {
    const accepted = this.options.acceptPeerIds;
    return accepted === undefined || accepted.has(id) || this.links.has(id);
  };

  private onInboundAuthenticated(link: InboundLink): void {
    const peerId = link.peerId;
    if (peerId === undefined) return;
    // A restarted peer dials again before this side noticed the old socket died: the new one wins.
    const previous = this.inboundByPeer.get(peerId);
    this.inboundByPeer.set(peerId, link);
    if (previous !== undefined && previous !== link) previous.terminate();
    // It is up again after a restart: our link to it need not wait out its backoff (up to 500 ms).
    this.links.get(peerId)?.link.dialNowIfWaiting();
  }
}

function remoteOf(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}
