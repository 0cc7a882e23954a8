import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { BatonError } from '../../src/errors.js';
import type { PeerMessage as Message } from '../../src/peer-message.js';
import type { HeartbeatRequest, MemberId } from '../../src/raft/types.js';
import { Handshake } from '../../src/transport/handshake.js';
import type { TransportLogger } from '../../src/transport/transport.js';
import type { WsTransportOptions } from '../../src/transport/transport-options.js';
import { WsTransport } from '../../src/transport/ws-transport.js';

/** Upper bound for any single wait in these tests; a wait that hits it fails the test. */
export const WAIT_MS = 5000;

export const SECRET = 'transport-test-secret';

/** Rejects if `promise` does not settle within `ms`: a bound on a wait, never a way to wait. */
export function within<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, bound]).finally(() => clearTimeout(timer));
}

/** A trivial JSON codec standing in for the real message codec. */
export function encodeJson(msg: Message): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(msg));
}

export function decodeJson(bytes: Uint8Array): Message {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new BatonError('BATON_PROTOCOL', 'not JSON', { cause: error });
  }
  const record = value as Record<string, unknown> | null;
  if (typeof record !== 'object' || record === null || typeof record.from !== 'string') {
    throw new BatonError('BATON_PROTOCOL', 'not a message');
  }
  if (typeof record.to !== 'string' || typeof record.type !== 'string' || typeof record.term !== 'number') {
    throw new BatonError('BATON_PROTOCOL', 'not a message');
  }
  return value as Message;
}

export function heartbeat(from: MemberId, to: MemberId, round: number): HeartbeatRequest {
  return { type: 'heartbeat', from, to, term: 1, commit: 0, round };
}

/** Resolves when something matching arrives; remembers what came before the wait started. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { match: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    const ready = this.waiters.filter((w) => w.match(item));
    this.waiters = this.waiters.filter((w) => !w.match(item));
    for (const waiter of ready) waiter.resolve(item);
  }

  /** The first item (already recorded or future) matching `match`, within WAIT_MS. */
  waitFor(match: (item: T) => boolean, what: string): Promise<T> {
    const seen = this.items.find(match);
    if (seen !== undefined) return Promise.resolve(seen);
    return within(new Promise<T>((resolve) => this.waiters.push({ match, resolve })), what);
  }

  /** Resolves once at least `count` recorded items match `match`, within WAIT_MS. */
  async waitForCount(match: (item: T) => boolean, count: number, what: string): Promise<void> {
    await this.waitFor(() => this.items.filter(match).length >= count, what);
  }
}

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export class RecordingLogger extends Recorder<LogEntry> implements TransportLogger {
  debug(obj: object, msg: string): void {
    this.push({ level: 'debug', obj: obj as Record<string, unknown>, msg });
  }
  info(obj: object, msg: string): void {
    this.push({ level: 'info', obj: obj as Record<string, unknown>, msg });
  }
  warn(obj: object, msg: string): void {
    this.push({ level: 'warn', obj: obj as Record<string, unknown>, msg });
  }
  error(obj: object, msg: string): void {
    this.push({ level: 'error', obj: obj as Record<string, unknown>, msg });
  }
}

export type PeerEvent = { readonly kind: 'up' | 'down'; readonly peer: MemberId };

/** A WsTransport plus everything it reported, listening on loopback. */
export interface Member {
  readonly id: MemberId;
  readonly transport: WsTransport;
  readonly url: string;
  readonly port: number;
  readonly inbox: Recorder<Message>;
  readonly peerEvents: Recorder<PeerEvent>;
  readonly logger: RecordingLogger;
}

/** Closes every member started through it; call `closeAll()` in afterEach. */
export class MemberPool {
  private readonly started: Member[] = [];

  async start(id: MemberId, overrides: Partial<WsTransportOptions> = {}): Promise<Member> {
    const inbox = new Recorder<Message>();
    const peerEvents = new Recorder<PeerEvent>();
    const logger = new RecordingLogger();
    const transport = new WsTransport(
      {
        id,
        listen: { host: '127.0.0.1', port: 0 },
        secret: SECRET,
        encode: encodeJson,
        decode: decodeJson,
        logger,
        random: () => 0.5,
        reconnect: { baseMs: 5, maxMs: 40 },
        ...overrides,
      },
      {
        onMessage: (msg) => inbox.push(msg),
        onPeerUp: (peer) => peerEvents.push({ kind: 'up', peer }),
        onPeerDown: (peer) => peerEvents.push({ kind: 'down', peer }),
      },
    );
    const member: Member = { id, transport, inbox, peerEvents, logger, url: '', port: 0 };
    this.started.push(member);
    const { port } = await transport.listen();
    const scheme = overrides.tls === undefined ? 'ws' : 'wss';
    Object.assign(member, { port, url: `${scheme}://127.0.0.1:${port}` });
    return member;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.started.splice(0).map((m) => m.transport.close()));
  }
}

/** Points every member at every other one and waits until all links are up. */
export async function connectAll(members: readonly Member[]): Promise<void> {
  const peers = Object.fromEntries(members.map((m) => [m.id, m.url]));
  for (const m of members) m.transport.setPeers(peers);
  for (const m of members) {
    for (const other of members) {
      if (other === m) continue;
      await m.peerEvents.waitFor((e) => e.kind === 'up' && e.peer === other.id, `${m.id} → ${other.id} up`);
    }
  }
}

/** Sends from `from` to `to` and waits until `to` delivers it: proof the link works end to end. */
export async function roundTrip(from: Member, to: Member, round: number): Promise<void> {
  from.transport.send(heartbeat(from.id, to.id, round));
  await to.inbox.waitFor(
    (m) => m.type === 'heartbeat' && m.from === from.id && m.round === round,
    `${from.id} → ${to.id} #${round}`,
  );
}

/** A raw `ws` client; resolves once it opened. */
export function openRaw(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const client = new RawClient(ws);
  return within(
    new Promise<RawClient>((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    }),
    `raw client to ${url} open`,
  );
}

/** A raw socket the test drives by hand, recording text frames and its own close. */
export class RawClient {
  readonly frames = new Recorder<string>();
  readonly closed: Promise<{ code: number }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(String(data));
    });
    ws.on('error', () => {});
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve({ code })));
  }

  /** Runs the dialer side of the handshake; resolves when it is done, rejects when it fails. */
  async handshake(ownId: MemberId, secret: string | undefined, expectedPeerId: MemberId): Promise<void> {
    const handshake = new Handshake({
      role: 'dialer',
      ownId,
      expectedPeerId,
      secret: secret === undefined ? undefined : new TextEncoder().encode(secret),
      clusterId: '',
      nonce: new Uint8Array(randomBytes(32)),
    });
    const closedEarly = this.closed.then(({ code }) => {
      throw new Error(`closed (${code}) during the handshake`);
    });
    // Once the handshake is done this promise may still reject on a later close; nobody awaits it then.
    closedEarly.catch(() => {});
    for (const frame of handshake.start()) this.ws.send(frame);
    for (let i = 0; ; i++) {
      await Promise.race([
        this.frames.waitFor(() => this.frames.items.length > i, 'handshake frame'),
        closedEarly,
      ]);
      const step = handshake.receive(this.frames.items[i]!);
      for (const out of step.send) this.ws.send(out);
      if (step.status === 'done') return;
      if (step.status === 'failed') throw new Error(`handshake failed: ${step.reason}`);
    }
  }

  /** Waits until the server closed this socket. */
  waitClosed(what: string): Promise<{ code: number }> {
    return within(this.closed, what);
  }
}
