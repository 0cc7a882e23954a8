import { BatonError } from '../errors.js';
import type { PeerMessage as Message } from '../peer-message.js';
import type { MemberId } from '../raft/types.js';
import { validateBackoffOptions } from './backoff.js';
import { MEMBER_ID_LENGTH_MAX } from './handshake.js';
import type { TransportLogger } from './transport.js';

/** Certificates for wss:// links; every member both presents `cert` and verifies its peers against `ca`. */
export interface TransportTlsOptions {
  readonly key: string | Uint8Array;
  readonly cert: string | Uint8Array;
  readonly ca: string | Uint8Array;
}

/** TLS material as node:tls takes it. */
export interface ResolvedTlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  readonly ca: string | Buffer;
}

/** What `WsTransport` is built from. Fields marked optional have safe defaults. */
export interface WsTransportOptions {
  /** This member's id, proved to peers in the handshake. */
  readonly id: MemberId;
  /** Where to accept peer links; port 0 lets the system choose. */
  readonly listen: { readonly host: string; readonly port: number };
  /** The shared cluster secret; undefined is insecure mode (ids are exchanged but not proved). */
  readonly secret: string | Uint8Array | undefined;
  /** Bound into every handshake MAC, so clusters sharing a secret still refuse each other. Default ''. */
  readonly clusterId?: string;
  /** Turns peer links into mutually verified wss://. */
  readonly tls?: TransportTlsOptions;
  /**
   * The member ids whose links this member accepts, besides the peers given
   * to setPeers; a hello from any other id is refused. Undefined accepts any
   * id that passes the handshake (a transport tested on its own).
   */
  readonly acceptPeerIds?: readonly MemberId[];
  /** Message → frame. */
  readonly encode: (msg: Message) => Uint8Array;
  /** Frame → validated message; throws (BatonError 'BATON_PROTOCOL') on anything malformed. */
  readonly decode: (bytes: Uint8Array) => Message;
  /** Largest frame accepted or sent; ws refuses bigger frames before buffering them. Default 8 MiB. */
  readonly maxPayloadBytes?: number;
  /** Most frames waiting for one peer's socket. Default 4096. */
  readonly sendQueueMessagesMax?: number;
  /** Most bytes waiting for one peer's socket. Default 16 MiB. */
  readonly sendQueueBytesMax?: number;
  /** Above this many bytes buffered in a socket, frames wait in the send queue instead. Default 1 MiB. */
  readonly socketBufferedBytesMax?: number;
  /** Deadline for a link to connect and finish the handshake. Default 5000 ms. */
  readonly handshakeTimeoutMs?: number;
  /** Outgoing links ping this often and are redialled after a period with no sign of life. Default 2000 ms. */
  readonly keepAliveMs?: number;
  /**
   * Most inbound connections still in their handshake; a newcomer beyond it
   * drops the oldest from the address holding the most. Default 64, and never more than fit
   * {@link HANDSHAKE_BUFFER_BYTES_MAX} at maxPayloadBytes each (at least 2).
   */
  readonly pendingHandshakesMax?: number;
  /** Reconnect delays: jittered exponential from baseMs up to maxMs. Default 50 ms .. 2000 ms. */
  readonly reconnect?: { readonly baseMs?: number; readonly maxMs?: number };
  readonly logger: TransportLogger;
  /** Uniform random number in [0, 1), for reconnect jitter. Nonces come from node:crypto, never from this. */
  readonly random: () => number;
}

/** Options after defaults and checks; frozen. */
export interface ResolvedTransportOptions {
  readonly id: MemberId;
  readonly listen: { readonly host: string; readonly port: number };
  readonly secret: Uint8Array | undefined;
  readonly clusterId: string;
  readonly tls: ResolvedTlsOptions | undefined;
  readonly acceptPeerIds: ReadonlySet<MemberId> | undefined;
  readonly encode: (msg: Message) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => Message;
  readonly maxPayloadBytes: number;
  readonly sendQueueMessagesMax: number;
  readonly sendQueueBytesMax: number;
  readonly socketBufferedBytesMax: number;
  readonly handshakeTimeoutMs: number;
  readonly keepAliveMs: number;
  readonly pendingHandshakesMax: number;
  readonly reconnect: { readonly baseMs: number; readonly maxMs: number };
  readonly logger: TransportLogger;
  readonly random: () => number;
}

/**
 * What clients that have not authenticated may make a member buffer, in all.
 * ws applies one maxPayload to a socket for its whole life, so a client still
 * in its handshake can send a frame of up to maxPayloadBytes before the
 * handshake's own 1 KiB limit is checked; the number of such clients is bounded instead.
 */
export const HANDSHAKE_BUFFER_BYTES_MAX: number = 64 * 1024 * 1024;

/** Pending handshakes that fit the budget at `maxPayloadBytes` each; at least 2, so peers can still dial in. */
export function handshakeSlotsFor(maxPayloadBytes: number): number {
  return Math.max(2, Math.floor(HANDSHAKE_BUFFER_BYTES_MAX / maxPayloadBytes));
}

/** Applies defaults and checks every field, naming the one that is wrong; the caller's object is untouched. */
export function resolveTransportOptions(options: WsTransportOptions): ResolvedTransportOptions {
  const id = options.id;
  if (typeof id !== 'string' || id.length === 0 || id.length > MEMBER_ID_LENGTH_MAX) {
    throw configError('id', id, `a non-empty string of at most ${MEMBER_ID_LENGTH_MAX} characters`);
  }
  const { host, port } = options.listen ?? {};
  if (typeof host !== 'string' || host.length === 0) throw configError('listen.host', host, 'a host');
  if (!(Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw configError('listen.port', port, 'an integer port in [0, 65535]');
  }
  const secret = typeof options.secret === 'string' ? Buffer.from(options.secret, 'utf8') : options.secret;
  if (secret !== undefined && secret.byteLength === 0) throw configError('secret', '', 'a non-empty secret');
  const reconnect = { baseMs: options.reconnect?.baseMs ?? 50, maxMs: options.reconnect?.maxMs ?? 2000 };
  validateBackoffOptions({ ...reconnect, random: options.random }, 'reconnect');
  const resolved: ResolvedTransportOptions = {
    id,
    listen: { host, port },
    secret: secret === undefined ? undefined : new Uint8Array(secret),
    clusterId: options.clusterId ?? '',
    tls: options.tls === undefined ? undefined : resolveTls(options.tls),
    acceptPeerIds: options.acceptPeerIds === undefined ? undefined : new Set(options.acceptPeerIds),
    encode: options.encode,
    decode: options.decode,
    maxPayloadBytes: positiveInteger('maxPayloadBytes', options.maxPayloadBytes, 8 * 1024 * 1024),
    sendQueueMessagesMax: positiveInteger('sendQueueMessagesMax', options.sendQueueMessagesMax, 4096),
    sendQueueBytesMax: positiveInteger('sendQueueBytesMax', options.sendQueueBytesMax, 16 * 1024 * 1024),
    socketBufferedBytesMax: positiveInteger(
      'socketBufferedBytesMax',
      options.socketBufferedBytesMax,
      1 << 20,
    ),
    handshakeTimeoutMs: positiveInteger('handshakeTimeoutMs', options.handshakeTimeoutMs, 5000),
    keepAliveMs: positiveInteger('keepAliveMs', options.keepAliveMs, 2000),
    pendingHandshakesMax: Math.min(
      positiveInteger('pendingHandshakesMax', options.pendingHandshakesMax, 64),
      handshakeSlotsFor(positiveInteger('maxPayloadBytes', options.maxPayloadBytes, 8 * 1024 * 1024)),
    ),
    reconnect,
    logger: options.logger,
    random: options.random,
  };
  for (const field of ['encode', 'decode', 'random'] as const) {
    if (typeof resolved[field] !== 'function') throw configError(field, resolved[field], 'a function');
  }
  return Object.freeze(resolved);
}

function resolveTls(tls: TransportTlsOptions): ResolvedTlsOptions {
  const pem = (field: 'key' | 'cert' | 'ca'): string | Buffer => {
    const value: unknown = tls[field];
    if (typeof value === 'string' && value.length > 0) return value;
    if (value instanceof Uint8Array && value.byteLength > 0) return Buffer.from(value);
    // The key is secret: name the field, never echo the value.
    throw configError(`tls.${field}`, field === 'key' ? '(redacted)' : value, 'a PEM string or bytes');
  };
  return { key: pem('key'), cert: pem('cert'), ca: pem('ca') };
}

function positiveInteger(field: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isSafeInteger(value) && value > 0)) throw configError(field, value, 'a positive integer');
  return value;
}

function configError(field: string, value: unknown, expected: string): BatonError {
  return new BatonError('BATON_CONFIG', `transport option ${field} must be ${expected}`, { field, value });
}
