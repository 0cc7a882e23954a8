import { connect as connectTcp } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectAll,
  type Member,
  MemberPool,
  openRaw,
  type RawClient,
  roundTrip,
  SECRET,
} from './transport-fixtures.js';

const pool = new MemberPool();
const raws: RawClient[] = [];
afterEach(async () => {
  for (const raw of raws.splice(0)) raw.ws.terminate();
  await pool.closeAll();
});

async function raw(target: Member): Promise<RawClient> {
  const client = await openRaw(target.url);
  raws.push(client);
  return client;
}

/** Two linked members: b is the target of the attacks, a its legitimate peer. */
async function cluster(options: Parameters<MemberPool['start']>[1] = {}): Promise<{ a: Member; b: Member }> {
  const a = await pool.start('a', options);
  const b = await pool.start('b', options);
  await connectAll([a, b]);
  return { a, b };
}

const EVICTING = 'pending handshakes full: dropping the oldest from the address holding the most';

function hello(id: string, auth: string): string {
  return JSON.stringify({ t: 'hello', v: 1, id, auth, nonce: Buffer.alloc(32, 9).toString('base64') });
}

/** b's warning about a refused client: a failed handshake (rate-limited line) or a breach after it. */
function refusal(b: Member, reason: string, failure?: string) {
  const handshake = failure !== undefined || reason === 'handshake-timeout';
  return b.logger.waitFor(
    (e) =>
      e.level === 'warn' &&
      (handshake
        ? e.msg === 'refused a peer link: its handshake failed' && e.obj.cause === (failure ?? reason)
        : e.obj.reason === reason),
    `b logs ${reason} ${failure ?? ''}`,
  );
}

describe('WsTransport refuses bad peers and keeps the good links', () => {
  it('a client without the secret', async () => {
    const { a, b } = await cluster();
    const intruder = await raw(b);
    intruder.ws.send(hello('mallory', 'none'));
    await intruder.waitClosed('intruder disconnected');
    await refusal(b, 'handshake-failed', 'mode-mismatch');
    await roundTrip(a, b, 1);
  });

  it('a client with a wrong HMAC, which learns no MAC from the member', async () => {
    const { a, b } = await cluster();
    const intruder = await raw(b);
    intruder.ws.send(hello('mallory', 'hmac-sha256'));
    intruder.ws.send(JSON.stringify({ t: 'proof', mac: Buffer.alloc(32, 1).toString('base64') }));
    await intruder.waitClosed('intruder disconnected');
    await refusal(b, 'handshake-failed', 'bad-proof');
    expect(intruder.frames.items.map((f) => JSON.parse(f).t)).toEqual(['hello']);
    await roundTrip(a, b, 1);
  });

  it('a client with another secret, going through the real handshake', async () => {
    const { a, b } = await cluster();
    const intruder = await raw(b);
    await expect(intruder.handshake('mallory', 'not-the-secret', 'b')).rejects.toThrow();
    await intruder.waitClosed('intruder disconnected');
    await refusal(b, 'handshake-failed', 'bad-proof');
    await roundTrip(a, b, 1);
  });

  it('a member with another secret: both sides log the failing link with its likely cause, by member id', async () => {
    const a = await pool.start('a', { secret: 'a-different-secret-entirely' });
    const b = await pool.start('b');
    a.transport.setPeers({ b: b.url });
    // The misconfigured member names its own failing link and the likely cause.
    const own = await a.logger.waitFor(
      (e) => e.level === 'warn' && e.msg === 'cannot link to peer' && e.obj.peer === 'b',
      'a logs its link to b failing',
    );
    expect(['refused-by-peer', 'closed-in-handshake']).toContain(own.obj.cause);
    expect(own.obj.hint).toMatch(/secret or clusterName/);
    // The member it dialled names the id it claimed (unproved), its address and the cause.
    const seen = await b.logger.waitFor(
      (e) => e.msg === 'refused a peer link: its handshake failed' && e.obj.claimedPeer === 'a',
      'b logs the refusal of a',
    );
    expect(seen.obj).toMatchObject({ cause: 'bad-proof', remote: expect.stringMatching(/^127\.0\.0\.1:/) });
    expect(seen.obj.hint).toMatch(/secret or clusterName/);
  });

  it('a client that knows the secret but claims an id that is not a member', async () => {
    const { a, b } = await cluster({ acceptPeerIds: ['a', 'b'] });
    const intruder = await raw(b);
    await expect(intruder.handshake('mallory', SECRET, 'b')).rejects.toThrow();
    await intruder.waitClosed('intruder disconnected');
    await refusal(b, 'handshake-failed', 'unknown-peer');
    await roundTrip(a, b, 1);
  });

  it('clients claiming ever new ids that are not members are logged rate-limited by host, not once per id', async () => {
    const { a, b } = await cluster({ acceptPeerIds: ['a', 'b'] });
    const refused = (e: { level: string; msg: string; obj: Record<string, unknown> }) =>
      e.msg === 'refused a peer link: its handshake failed' && e.obj.cause === 'unknown-peer';
    for (let i = 0; i < 20; i++) {
      const intruder = await raw(b);
      intruder.ws.send(hello(`mallory-${i}`, 'hmac-sha256'));
      await intruder.waitClosed(`intruder ${i} disconnected`);
    }
    await b.logger.waitForCount(refused, 1, 'b logs the first refusal');
    // One episode for the host: its first line, summaries only once the window has passed.
    expect(b.logger.items.filter(refused)).toHaveLength(1);
    expect(b.logger.items.find(refused)?.obj.claimedPeer).toBe('mallory-0');
    await roundTrip(a, b, 1);
  });

  it('a client that sends garbage instead of a handshake', async () => {
    const { a, b } = await cluster();
    const intruder = await raw(b);
    intruder.ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
    await intruder.waitClosed('intruder disconnected');
    await refusal(b, 'handshake-failed', 'malformed');
    await roundTrip(a, b, 1);
  });

  it('an authenticated peer that sends a malformed frame', async () => {
    const { a, b } = await cluster();
    const peer = await raw(b);
    await peer.handshake('c', SECRET, 'b');
    peer.ws.send(Buffer.from('{"not":"a message"'));
    await peer.waitClosed('peer disconnected');
    await refusal(b, 'malformed-frame');
    await roundTrip(a, b, 1);
  });

  it('an authenticated peer that sends a text frame', async () => {
    const { a, b } = await cluster();
    const peer = await raw(b);
    await peer.handshake('c', SECRET, 'b');
    peer.ws.send('hello again');
    await peer.waitClosed('peer disconnected');
    await refusal(b, 'text-frame-after-handshake');
    await roundTrip(a, b, 1);
  });

  it('a frame over maxPayloadBytes, refused before it is buffered whole', async () => {
    const { a, b } = await cluster({ maxPayloadBytes: 64 * 1024 });
    const peer = await raw(b);
    await peer.handshake('c', SECRET, 'b');
    peer.ws.send(Buffer.alloc(64 * 1024 + 1, 0x20));
    await peer.waitClosed('peer disconnected');
    const logged = await b.logger.waitFor(
      (e) => e.msg === 'peer connection error',
      'b logs the oversized frame',
    );
    expect((logged.obj.err as { code?: string }).code).toBe('WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
    expect(b.inbox.items).toEqual([]);
    await roundTrip(a, b, 1);
  });

  it('an oversized frame even before the handshake', async () => {
    const { a, b } = await cluster({ maxPayloadBytes: 64 * 1024 });
    const intruder = await raw(b);
    intruder.ws.send(Buffer.alloc(1024 * 1024));
    await intruder.waitClosed('intruder disconnected');
    await roundTrip(a, b, 1);
  });

  it('a message claiming to come from another member', async () => {
    const { a, b } = await cluster();
    const peer = await raw(b);
    await peer.handshake('c', SECRET, 'b');
    peer.ws.send(
      Buffer.from(JSON.stringify({ type: 'heartbeat', from: 'a', to: 'b', term: 9, commit: 0, round: 77 })),
    );
    await peer.waitClosed('spoofer disconnected');
    const logged = await refusal(b, 'wrong-sender');
    expect(logged.obj).toMatchObject({ peer: 'c', claimedFrom: 'a' });
    expect(b.inbox.items.some((m) => m.type === 'heartbeat' && m.round === 77)).toBe(false);
    await roundTrip(a, b, 1);
  });

  it('a message addressed to another member', async () => {
    const { a, b } = await cluster();
    const peer = await raw(b);
    await peer.handshake('c', SECRET, 'b');
    peer.ws.send(
      Buffer.from(JSON.stringify({ type: 'heartbeat', from: 'c', to: 'a', term: 9, commit: 0, round: 77 })),
    );
    await peer.waitClosed('peer disconnected');
    await refusal(b, 'wrong-recipient');
    expect(b.inbox.items.some((m) => m.type === 'heartbeat' && m.round === 77)).toBe(false);
    await roundTrip(a, b, 1);
  });

  it('a client that claims to be the member itself', async () => {
    const { a, b } = await cluster();
    const intruder = await raw(b);
    intruder.ws.send(hello('b', 'hmac-sha256'));
    await intruder.waitClosed('intruder disconnected');
    await refusal(b, 'handshake-failed', 'self');
    await roundTrip(a, b, 1);
  });

  it('TCP clients that never finish their HTTP upgrade, closed within the handshake deadline', async () => {
    const { a, b } = await cluster({ handshakeTimeoutMs: 300 });
    const started = performance.now();
    // One sends nothing at all; one sends half a request line and headers (slowloris).
    const closed = ['', 'GET / HTTP/1.1\r\nHost: x\r\n'].map(
      (opening) =>
        new Promise<number>((resolve) => {
          const socket = connectTcp({ host: '127.0.0.1', port: b.port }, () => {
            if (opening) socket.write(opening);
          });
          socket.on('error', () => {});
          socket.on('close', () => resolve(performance.now() - started));
        }),
    );
    // Node checks these deadlines on an interval; the transport keeps it short.
    for (const ms of await Promise.all(closed)) expect(ms).toBeLessThan(3000);
    await b.logger.waitFor(
      (e) =>
        e.level === 'warn' &&
        e.msg.startsWith('refused a connection to the peer port') &&
        e.obj.cause === 'ERR_HTTP_REQUEST_TIMEOUT',
      'b logs the refused connections',
    );
    await roundTrip(a, b, 1);
  });

  it('a client that stays silent past the handshake deadline', async () => {
    const { a, b } = await cluster({ handshakeTimeoutMs: 200 });
    const silent = await raw(b);
    await silent.waitClosed('silent client disconnected');
    await refusal(b, 'handshake-timeout');
    await roundTrip(a, b, 1);
  });

  it('a connection beyond pendingHandshakesMax evicts the oldest pending handshake (all from one address)', async () => {
    const { a, b } = await cluster({ pendingHandshakesMax: 2 });
    const first = await raw(b);
    const second = await raw(b);
    await raw(b);
    await first.waitClosed('the oldest is evicted');
    await b.logger.waitFor((e) => e.msg === EVICTING, 'b evicts');
    expect(second.ws.readyState).toBe(second.ws.OPEN);
    await roundTrip(a, b, 1);
  });

  it('silent clients holding every handshake slot, and reconnecting when evicted, cannot keep a peer out', async () => {
    // 16 MiB frames: at most four unauthenticated clients (64 MiB in all).
    const big = { maxPayloadBytes: 16 * 1024 * 1024 };
    const b = await pool.start('b', big);
    let attacking = true;
    const occupy = async (): Promise<void> => {
      while (attacking) {
        const client = await raw(b).catch(() => undefined);
        if (client) await client.waitClosed('evicted or timed out').catch(() => {});
      }
    };
    const attackers = Array.from({ length: 4 }, occupy);
    for (let i = 0; i < 4; i++) await raw(b); // a fifth and more: the slots are full and churning
    await b.logger.waitFor((e) => e.msg === EVICTING, 'the slots are full');
    // A peer dialling in now still gets through, and keeps its link.
    const c = await pool.start('c', big);
    await connectAll([b, c]);
    await roundTrip(c, b, 1);
    attacking = false;
    for (const client of raws.splice(0)) client.ws.terminate();
    await Promise.all(attackers);
  });

  it('clients reconnecting faster than a slow peer finishes its handshake cannot evict it from another address', async () => {
    const b = await pool.start('b', { pendingHandshakesMax: 2 });
    // The attackers dial from 127.0.0.2 (the whole of 127/8 is loopback on Linux), the peer from 127.0.0.1.
    let attacking = true;
    const occupy = async (): Promise<void> => {
      while (attacking) {
        const client = await openRaw(b.url, { localAddress: '127.0.0.2' }).catch(() => undefined);
        if (client === undefined) continue;
        raws.push(client);
        await client.waitClosed('evicted').catch(() => {});
      }
    };
    const peer = await raw(b);
    const attackers = Array.from({ length: 3 }, occupy);
    await b.logger.waitFor((e) => e.msg === EVICTING, 'the slots are full and churning');
    // The peer answers only now, long after many newer connections arrived: it still gets through.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const evictions = b.logger.items.filter((e) => e.msg === EVICTING);
    expect(evictions.length).toBeGreaterThan(2);
    expect(evictions.every((e) => String(e.obj.remote).startsWith('127.0.0.2:'))).toBe(true);
    await peer.handshake('c', SECRET, 'b');
    attacking = false;
    for (const client of raws.splice(0)) client.ws.terminate();
    await Promise.all(attackers);
  });

  it('a stale inbound link when the same peer authenticates again', async () => {
    const { a, b } = await cluster();
    const first = await raw(b);
    await first.handshake('c', SECRET, 'b');
    const second = await raw(b);
    await second.handshake('c', SECRET, 'b');
    await first.waitClosed('stale link dropped');
    second.ws.send(
      Buffer.from(JSON.stringify({ type: 'heartbeat', from: 'c', to: 'b', term: 1, commit: 0, round: 5 })),
    );
    await b.inbox.waitFor((m) => m.from === 'c', 'b hears c on the new link');
    await roundTrip(a, b, 1);
  });
});
