import { decodeMessage } from '../../packages/core/src/codec/message-codec.js';
import type { Rng } from '../../packages/core/src/sim/rng.js';
import { MUTATION_KINDS, mutateFrame } from '../../packages/core/test/codec/frame-mutations.js';
import { RawPeerClient } from './raw-peer-client.js';

/** What one hostile connection tried, and how long the member took to close it (undefined: it did not). */
export interface Attempt {
  readonly path: 'unauthenticated' | 'authenticated';
  readonly kind: string;
  readonly closedMs: number | undefined;
}

/** Loopback address the attacks come from: the member groups pending handshakes by address, so real peers keep theirs. */
const ATTACKER_ADDRESS = '127.0.0.2';

/** A well-formed hello of the peer protocol, as a field map to damage. */
function helloFields(rng: Rng): Record<string, unknown> {
  const nonce = Buffer.from(Uint8Array.from({ length: 32 }, () => rng.int(0, 255))).toString('base64');
  return { t: 'hello', v: 1, id: 'n4', nonce, auth: 'hmac-sha256' };
}

/** Values a hostile client puts in one hello field. */
const HOSTILE_VALUES: Readonly<Record<string, readonly unknown[]>> = {
  t: ['proof', '', null, 1],
  v: [0, 2, '1', null, -1, 1.5],
  id: ['', 'x'.repeat(300), 7, null, 'n9', 'n1\u0000'],
  nonce: [
    '',
    'AAAA',
    Buffer.alloc(33).toString('base64'),
    '!!!!',
    `${Buffer.alloc(32, 1).toString('base64')}=`,
  ],
  auth: ['none', 'hmac-md5', '', null],
};

/** One damaged opening of the handshake: what the client sends before any proof is accepted. */
function hostileOpening(rng: Rng): { kind: string; frames: (string | Uint8Array)[] } {
  const roll = rng.int(0, 5);
  if (roll === 0)
    return {
      kind: 'garbage text',
      frames: [String.fromCharCode(...Array.from({ length: rng.int(0, 200) }, () => rng.int(0, 0xffff)))],
    };
  if (roll === 1) {
    const kind = rng.pick(MUTATION_KINDS);
    return { kind: `binary ${kind} frame before the handshake`, frames: [mutateFrame(rng, kind).bytes] };
  }
  if (roll === 2)
    return {
      kind: 'oversized hello',
      frames: [JSON.stringify({ ...helloFields(rng), pad: 'x'.repeat(2000) })],
    };
  if (roll === 3) {
    const proof = JSON.stringify({ t: 'proof', mac: Buffer.alloc(32, rng.int(0, 255)).toString('base64') });
    return { kind: 'hello then a forged proof', frames: [JSON.stringify(helloFields(rng)), proof] };
  }
  if (roll === 4)
    return { kind: 'truncated hello', frames: [JSON.stringify(helloFields(rng)).slice(0, rng.int(0, 60))] };
  const fields = helloFields(rng);
  const field = rng.pick(Object.keys(HOSTILE_VALUES));
  fields[field] = rng.pick(HOSTILE_VALUES[field]!);
  return { kind: `hello with ${field} changed`, frames: [JSON.stringify(fields)] };
}

/** Connects unauthenticated, sends a damaged opening, and times how long the member takes to close. */
export async function unauthenticatedAttempt(url: string, rng: Rng, waitMs: number): Promise<Attempt> {
  const { kind, frames } = hostileOpening(rng);
  const client = await RawPeerClient.connect(url, waitMs, ATTACKER_ADDRESS);
  const started = performance.now();
  for (const frame of frames) client.send(frame);
  return { path: 'unauthenticated', kind, closedMs: await closedWithin(client, started, waitMs) };
}

/**
 * Connects as a configured member that is not running (`ownId`), passes the
 * handshake with the secret, then sends one frame the codec refuses (or one
 * addressed wrongly): the member must close that connection. Frames that
 * decode are not sent: an authenticated member's well-formed messages are
 * trusted by Raft (a member is not Byzantine), so they belong to no fuzz.
 */
export async function authenticatedAttempt(
  url: string,
  member: { ownId: string; target: string; secret: string },
  rng: Rng,
  waitMs: number,
): Promise<Attempt> {
  const { kind, bytes } = refusedFrame(rng, member.ownId, member.target);
  const client = await RawPeerClient.connect(url, waitMs, ATTACKER_ADDRESS);
  if ((await client.handshake(member.ownId, member.target, member.secret, waitMs)) !== 'done') {
    client.terminate();
    throw new Error(
      `the handshake as ${member.ownId} failed: the attack cannot reach the authenticated path`,
    );
  }
  const started = performance.now();
  client.send(bytes);
  return { path: 'authenticated', kind, closedMs: await closedWithin(client, started, waitMs) };
}

/** A frame this member's codec refuses, or a valid one naming another sender or recipient. */
function refusedFrame(rng: Rng, from: string, to: string): { kind: string; bytes: Uint8Array } {
  for (;;) {
    const misaddressed = rng.chance(0.1);
    const kind = misaddressed ? 'field' : rng.pick(MUTATION_KINDS);
    const address = misaddressed ? (rng.chance(0.5) ? { from: 'n2', to } : { from, to: 'n9' }) : { from, to };
    const { bytes } = mutateFrame(rng, kind, address);
    try {
      const decoded = decodeMessage(bytes);
      if (decoded.from !== from) return { kind: 'valid frame from another sender', bytes };
      if (decoded.to !== to) return { kind: 'valid frame to another recipient', bytes };
    } catch {
      return { kind: `${kind} frame`, bytes };
    }
  }
}

async function closedWithin(
  client: RawPeerClient,
  started: number,
  waitMs: number,
): Promise<number | undefined> {
  try {
    await client.waitClosed(waitMs);
    return performance.now() - started;
  } catch {
    client.terminate();
    return undefined;
  }
}
