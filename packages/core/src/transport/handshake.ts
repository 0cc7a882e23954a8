import { createHmac, timingSafeEqual } from 'node:crypto';
import type { MemberId } from '../raft/types.js';

/**
 * The opening of every peer link: a mutual HMAC-SHA256 challenge-response.
 * Pure: it turns frames in into frames out; the caller owns the socket, the
 * deadline and the randomness (it passes a fresh nonce in).
 *
 * Exchange (one socket, the dialer opened it):
 *
 *   acceptor → hello { id, nonce_a }          both hellos are sent at once
 *   dialer   → hello { id, nonce_d }          on open, without waiting
 *   dialer   → proof MAC(dialer,   d, a, nonce_a, nonce_d)   after it saw nonce_a
 *   acceptor → proof MAC(acceptor, a, d, nonce_d, nonce_a)   only after it verified the dialer
 *
 * where MAC(role, prover, verifier, verifierNonce, proverNonce) =
 * HMAC-SHA256(secret, label ‖ role ‖ clusterId ‖ prover ‖ verifier ‖ verifierNonce ‖ proverNonce),
 * every field length-prefixed so that no two inputs concatenate alike.
 *
 * - The secret never crosses the wire; only MACs over fresh nonces do.
 * - No replay: each side's nonce is fresh per connection and is part of the
 *   MAC the other side must produce, so a recorded proof fails next time.
 * - No reflection: the role is in the MAC and the two MACs put ids and nonces
 *   in opposite order, so a proof sent back to its author never verifies;
 *   a hello carrying our own nonce or our own id is refused outright.
 * - The acceptor proves itself only to a dialer that proved itself first, so
 *   an unauthenticated client cannot use it as a MAC oracle.
 * - It does not bind the rest of the connection: an on-path attacker could
 *   relay a handshake and then inject frames. `tls` closes that gap.
 *
 * Insecure mode (no secret) exchanges hellos only, so ids are still checked;
 * a secure and an insecure member refuse each other ('mode-mismatch').
 */

/** Bytes in each side's nonce. */
export const HANDSHAKE_NONCE_BYTES = 32;
/** Longest handshake frame accepted; real ones are well under 300 bytes. */
export const HANDSHAKE_FRAME_BYTES_MAX = 1024;
/** Longest member id accepted in a hello. */
export const MEMBER_ID_LENGTH_MAX = 255;

const PROTOCOL_VERSION = 1;
const MAC_LABEL = 'baton/peer-handshake/v1';
const MAC_BYTES = 32;

export type HandshakeRole = 'dialer' | 'acceptor';
export type HandshakeAuth = 'hmac-sha256' | 'none';

/** Why a handshake failed; stable strings for logs and tests. */
export type HandshakeFailure =
  | 'malformed'
  | 'version'
  | 'mode-mismatch'
  | 'unexpected-peer'
  | 'unknown-peer'
  | 'self'
  | 'nonce-reflected'
  | 'bad-proof'
  | 'unexpected-frame';

export interface HandshakeParams {
  readonly role: HandshakeRole;
  readonly ownId: MemberId;
  /** The dialer names whom it dialled and refuses anyone else; the acceptor passes undefined. */
  readonly expectedPeerId: MemberId | undefined;
  /**
   * The acceptor's check of the id a hello claims: an id it does not know is
   * refused ('unknown-peer') at once, before any proof. Knowing the secret
   * does not make a process a member. Undefined accepts any id.
   */
  readonly isKnownPeer?: ((id: MemberId) => boolean) | undefined;
  /** The cluster secret; undefined means insecure mode. */
  readonly secret: Uint8Array | undefined;
  /** Mixed into every MAC so two clusters sharing a secret still refuse each other. */
  readonly clusterId: string;
  /** A fresh random nonce of HANDSHAKE_NONCE_BYTES, never reused. */
  readonly nonce: Uint8Array;
}

/** The outcome of feeding one frame: frames to send now, and whether the handshake ended. */
export type HandshakeStep =
  | { readonly status: 'pending'; readonly send: readonly string[] }
  | { readonly status: 'done'; readonly peerId: MemberId; readonly send: readonly string[] }
  | { readonly status: 'failed'; readonly reason: HandshakeFailure; readonly send: readonly string[] };

/** The fields a MAC binds. */
export interface ProofInput {
  readonly role: HandshakeRole;
  readonly clusterId: string;
  readonly proverId: MemberId;
  readonly verifierId: MemberId;
  readonly verifierNonce: Uint8Array;
  readonly proverNonce: Uint8Array;
}

/** The MAC a member with role `input.role` sends to prove it knows `secret`. */
export function handshakeProof(secret: Uint8Array, input: ProofInput): Uint8Array {
  const hmac = createHmac('sha256', secret);
  for (const field of [
    MAC_LABEL,
    input.role,
    input.clusterId,
    input.proverId,
    input.verifierId,
    input.verifierNonce,
    input.proverNonce,
  ]) {
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.byteLength);
    hmac.update(length);
    hmac.update(bytes);
  }
  return new Uint8Array(hmac.digest());
}

interface Hello {
  readonly id: MemberId;
  readonly nonce: Uint8Array;
  readonly auth: HandshakeAuth;
}

/** One side of one handshake. Feed it every text frame the peer sends until it is done or failed. */
export class Handshake {
  private state: 'awaiting-hello' | 'awaiting-proof' | 'done' | 'failed' = 'awaiting-hello';
  private peer: Hello | undefined;
  private claimed: MemberId | undefined;

  constructor(private readonly params: HandshakeParams) {
    if (params.nonce.byteLength !== HANDSHAKE_NONCE_BYTES) {
      throw new RangeError(`handshake nonce must be ${HANDSHAKE_NONCE_BYTES} bytes`);
    }
  }

  /** The id the other side's hello named, before it is proved (for logs only: nothing may trust it). */
  get claimedPeerId(): MemberId | undefined {
    return this.claimed;
  }

  /** The frames to send as soon as the socket opens: this side's hello. */
  start(): readonly string[] {
    return [
      JSON.stringify({
        t: 'hello',
        v: PROTOCOL_VERSION,
        id: this.params.ownId,
        nonce: Buffer.from(this.params.nonce).toString('base64'),
        auth: this.auth(),
      }),
    ];
  }

  /** Feeds one frame from the peer. After 'done' or 'failed', every further frame fails. */
  receive(frame: string): HandshakeStep {
    if (this.state === 'awaiting-hello') return this.onHello(frame);
    if (this.state === 'awaiting-proof') return this.onProof(frame);
    return this.fail('unexpected-frame');
  }

  private onHello(frame: string): HandshakeStep {
    const hello = parseHello(frame);
    if (typeof hello === 'string') return this.fail(hello);
    // Kept for logs even when the hello is refused below (an unknown id is worth naming).
    this.claimed = hello.id;
    const { ownId, expectedPeerId, nonce, secret } = this.params;
    if (hello.auth !== this.auth()) return this.fail('mode-mismatch');
    if (hello.id === ownId) return this.fail('self');
    if (expectedPeerId !== undefined && hello.id !== expectedPeerId) return this.fail('unexpected-peer');
    if (this.params.isKnownPeer !== undefined && !this.params.isKnownPeer(hello.id))
      return this.fail('unknown-peer');
    if (timingSafeEqual(hello.nonce, nonce)) return this.fail('nonce-reflected');
    this.peer = hello;
    if (secret === undefined) return this.finish([]);
    this.state = 'awaiting-proof';
    // The dialer proves first; the acceptor waits for that proof before revealing any MAC.
    return {
      status: 'pending',
      send: this.params.role === 'dialer' ? [this.ownProofFrame(secret, hello)] : [],
    };
  }

  private onProof(frame: string): HandshakeStep {
    const mac = parseProof(frame);
    if (typeof mac === 'string') return this.fail(mac);
    const { secret } = this.params;
    const peer = this.peer;
    if (secret === undefined || peer === undefined) return this.fail('unexpected-frame');
    const expected = handshakeProof(secret, {
      role: this.params.role === 'dialer' ? 'acceptor' : 'dialer',
      clusterId: this.params.clusterId,
      proverId: peer.id,
      verifierId: this.params.ownId,
      verifierNonce: this.params.nonce,
      proverNonce: peer.nonce,
    });
    if (!timingSafeEqual(expected, mac)) return this.fail('bad-proof');
    return this.finish(this.params.role === 'acceptor' ? [this.ownProofFrame(secret, peer)] : []);
  }

  private ownProofFrame(secret: Uint8Array, peer: Hello): string {
    const mac = handshakeProof(secret, {
      role: this.params.role,
      clusterId: this.params.clusterId,
      proverId: this.params.ownId,
      verifierId: peer.id,
      verifierNonce: peer.nonce,
      proverNonce: this.params.nonce,
    });
    return JSON.stringify({ t: 'proof', mac: Buffer.from(mac).toString('base64') });
  }

  private finish(send: readonly string[]): HandshakeStep {
    this.state = 'done';
    return { status: 'done', peerId: this.peer!.id, send };
  }

  private fail(reason: HandshakeFailure): HandshakeStep {
    this.state = 'failed';
    return { status: 'failed', reason, send: [] };
  }

  private auth(): HandshakeAuth {
    return this.params.secret === undefined ? 'none' : 'hmac-sha256';
  }
}

function parseFrame(frame: string, type: string): Record<string, unknown> | HandshakeFailure {
  if (frame.length > HANDSHAKE_FRAME_BYTES_MAX) return 'malformed';
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return 'malformed';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'malformed';
  const record = value as Record<string, unknown>;
  return record.t === type ? record : 'unexpected-frame';
}

function parseHello(frame: string): Hello | HandshakeFailure {
  const record = parseFrame(frame, 'hello');
  if (typeof record === 'string') return record;
  if (record.v !== PROTOCOL_VERSION) return typeof record.v === 'number' ? 'version' : 'malformed';
  const { id, auth } = record;
  if (typeof id !== 'string' || id.length === 0 || id.length > MEMBER_ID_LENGTH_MAX) return 'malformed';
  if (auth !== 'hmac-sha256' && auth !== 'none') return 'malformed';
  const nonce = decodeBase64Exact(record.nonce, HANDSHAKE_NONCE_BYTES);
  if (nonce === undefined) return 'malformed';
  return { id, nonce, auth };
}

function parseProof(frame: string): Uint8Array | HandshakeFailure {
  const record = parseFrame(frame, 'proof');
  if (typeof record === 'string') return record;
  return decodeBase64Exact(record.mac, MAC_BYTES) ?? 'malformed';
}

/** Canonical base64 of exactly `byteLength` bytes, or undefined; Node's decoder alone is too lenient. */
function decodeBase64Exact(value: unknown, byteLength: number): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.byteLength !== byteLength || bytes.toString('base64') !== value) return undefined;
  return new Uint8Array(bytes);
}
