import { afterEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import type { Message } from '../../src/raft/types.js';
import { WsTransport } from '../../src/transport/ws-transport.js';
import {
  connectAll,
  decodeJson,
  encodeJson,
  heartbeat,
  MemberPool,
  RecordingLogger,
  roundTrip,
  SECRET,
  within,
} from './transport-fixtures.js';

const pool = new MemberPool();
afterEach(() => pool.closeAll());

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('WsTransport between two members', () => {
  it('delivers messages both ways, in order', async () => {
    const a = await pool.start('a');
    const b = await pool.start('b');
    await connectAll([a, b]);
    for (let round = 1; round <= 200; round++) a.transport.send(heartbeat('a', 'b', round));
    await roundTrip(b, a, 1);
    await b.inbox.waitForCount((m) => m.from === 'a', 200, '200 messages a → b');
    const rounds = b.inbox.items.map((m) => (m.type === 'heartbeat' ? m.round : -1));
    expect(rounds).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(b.inbox.items.every((m) => m.from === 'a' && m.to === 'b')).toBe(true);
  });

  it("sends a turn's frames together once the turn ends, in order", async () => {
    const a = await pool.start('a');
    const b = await pool.start('b');
    await connectAll([a, b]);
    const before = a.transport.peerStats('b')!.sentMessages;
    for (let round = 9001; round <= 9003; round++) a.transport.send(heartbeat('a', 'b', round));
    // Nothing is written during the turn: the three frames leave in one write after it.
    expect(a.transport.peerStats('b')).toMatchObject({ sentMessages: before, queuedMessages: 3 });
    await b.inbox.waitForCount((m) => m.type === 'heartbeat' && m.round > 9000, 3, "the turn's 3 frames");
    const rounds = b.inbox.items.flatMap((m) => (m.type === 'heartbeat' && m.round > 9000 ? [m.round] : []));
    expect(rounds).toEqual([9001, 9002, 9003]);
    expect(a.transport.peerStats('b')).toMatchObject({ sentMessages: before + 3, queuedMessages: 0 });
  });

  it('carries every field of a message unchanged', async () => {
    const a = await pool.start('a');
    const b = await pool.start('b');
    await connectAll([a, b]);
    const msg: Message = {
      type: 'vote',
      from: 'a',
      to: 'b',
      term: 7,
      lastLogIndex: 41,
      lastLogTerm: 6,
      transfer: true,
    };
    a.transport.send(msg);
    expect(await b.inbox.waitFor((m) => m.type === 'vote', 'vote')).toEqual(msg);
  });

  it('works in insecure mode', async () => {
    const a = await pool.start('a', { secret: undefined });
    const b = await pool.start('b', { secret: undefined });
    await connectAll([a, b]);
    await roundTrip(a, b, 1);
    await roundTrip(b, a, 1);
  });

  it('does not link a secure member with an insecure one', async () => {
    const a = await pool.start('a', { secret: undefined });
    const b = await pool.start('b');
    a.transport.setPeers({ b: b.url });
    const refused = await b.logger.waitFor((e) => e.obj.cause === 'mode-mismatch', 'b refuses a');
    expect(refused.level).toBe('warn');
    expect(a.transport.peerStats('b')?.connects).toBe(0);
  });

  it('does not send to a member that is not the one it meant to dial', async () => {
    const a = await pool.start('a');
    const c = await pool.start('c');
    a.transport.setPeers({ b: c.url });
    const refused = await a.logger.waitFor(
      (e) => e.obj.cause === 'unexpected-peer',
      'a refuses c posing as b',
    );
    expect(refused.obj.peer).toBe('b');
    a.transport.send(heartbeat('a', 'b', 1));
    expect(a.transport.peerStats('b')).toMatchObject({ connects: 0, sentMessages: 0 });
    expect(c.inbox.items).toEqual([]);
  });
});

describe('WsTransport among three members', () => {
  it('delivers between every pair', async () => {
    const members = [await pool.start('n1'), await pool.start('n2'), await pool.start('n3')];
    await connectAll(members);
    let round = 0;
    for (const from of members) {
      for (const to of members) if (from !== to) await roundTrip(from, to, ++round);
    }
    for (const m of members) expect(m.inbox.items.every((msg) => msg.to === m.id)).toBe(true);
  });
});

describe('WsTransport reconnects', () => {
  it('after the peer closes and restarts on the same port', async () => {
    const a = await pool.start('a');
    const b = await pool.start('b');
    await connectAll([a, b]);
    await roundTrip(a, b, 1);

    await b.transport.close();
    await a.peerEvents.waitFor((e) => e.kind === 'down' && e.peer === 'b', 'a sees b down');
    a.transport.send(heartbeat('a', 'b', 2));
    expect(a.transport.peerStats('b')?.droppedLinkDown).toBeGreaterThanOrEqual(1);

    const b2 = await pool.start('b', { listen: { host: '127.0.0.1', port: b.port } });
    expect(b2.port).toBe(b.port);
    await a.peerEvents.waitForCount((e) => e.kind === 'up' && e.peer === 'b', 2, 'a sees b up again');
    await roundTrip(a, b2, 3);
    expect(b2.inbox.items.some((m) => m.type === 'heartbeat' && m.round === 2)).toBe(false);
    expect(a.transport.peerStats('b')?.connects).toBe(2);
  });

  it('at once when the restarted peer dials in, without waiting out its backoff', async () => {
    // A minute between attempts: only the peer's own dial can bring the link back within the test.
    const slow = { reconnect: { baseMs: 60_000, maxMs: 60_000 } };
    const a = await pool.start('a', slow);
    const b = await pool.start('b', slow);
    await connectAll([a, b]);
    await b.transport.close();
    await a.peerEvents.waitFor((e) => e.kind === 'down' && e.peer === 'b', 'a sees b down');

    const b2 = await pool.start('b', { ...slow, listen: { host: '127.0.0.1', port: b.port } });
    b2.transport.setPeers({ a: a.url, b: b2.url });
    await a.peerEvents.waitForCount((e) => e.kind === 'up' && e.peer === 'b', 2, 'a redials b at once');
    await roundTrip(a, b2, 1);
  });

  it('to a peer that was not up yet when dialling started', async () => {
    const a = await pool.start('a');
    const probe = await pool.start('probe');
    const port = probe.port;
    await probe.transport.close();
    a.transport.setPeers({ b: `ws://127.0.0.1:${port}` });
    await a.logger.waitFor((e) => e.msg === 'cannot link to peer' && e.obj.peer === 'b', 'a fails to dial b');
    const b = await pool.start('b', { listen: { host: '127.0.0.1', port } });
    await a.peerEvents.waitFor((e) => e.kind === 'up' && e.peer === 'b', 'a reaches b');
    await roundTrip(a, b, 1);
  });

  it('stops dialling a peer removed by setPeers', async () => {
    const a = await pool.start('a');
    const b = await pool.start('b');
    await connectAll([a, b]);
    a.transport.setPeers({});
    await a.peerEvents.waitFor((e) => e.kind === 'down' && e.peer === 'b', 'a drops b');
    expect(a.transport.peerStats('b')).toBeUndefined();
  });
});

describe('WsTransport.send', () => {
  it('never throws, and drops what it cannot deliver', async () => {
    const logger = new RecordingLogger();
    const a = await pool.start('a', {
      logger,
      encode: (msg) => {
        if (msg.type === 'timeoutNow') throw new Error('cannot encode');
        return encodeJson(msg);
      },
    });
    const b = await pool.start('b');
    await connectAll([a, b]);
    a.transport.send(heartbeat('a', 'nobody', 1));
    a.transport.send(heartbeat('a', 'a', 2));
    a.transport.send(heartbeat('b', 'b', 3));
    a.transport.send({ type: 'timeoutNow', from: 'a', to: 'b', term: 1 });
    await roundTrip(a, b, 4);
    expect(b.inbox.items.map((m) => m.type)).toEqual(['heartbeat']);
    expect(logger.items.filter((e) => e.level === 'error')).toHaveLength(3);
  });

  it('refuses to send a frame the peer would refuse as too big, and keeps the link', async () => {
    const a = await pool.start('a', { maxPayloadBytes: 4096 });
    const b = await pool.start('b', { maxPayloadBytes: 4096 });
    await connectAll([a, b]);
    a.transport.send({ type: 'readIndex', from: 'a', to: 'b', term: 1, requestId: 'x'.repeat(8000) });
    await a.logger.waitFor((e) => e.msg === 'message too big', 'a refuses the big message');
    await roundTrip(a, b, 1);
    expect(a.transport.peerStats('b')?.connects).toBe(1);
  });
});

describe('WsTransport lifecycle', () => {
  it('closes idempotently and refuses to listen afterwards', async () => {
    const a = await pool.start('a');
    const first = a.transport.close();
    const second = a.transport.close();
    expect(second).toBe(first);
    await first;
    expect(isBatonError(await rejection(a.transport.listen()), 'BATON_STOPPED')).toBe(true);
    a.transport.send(heartbeat('a', 'b', 1));
  });

  it('closes cleanly without ever listening', async () => {
    const t = new WsTransport(
      {
        id: 'x',
        listen: { host: '127.0.0.1', port: 0 },
        secret: SECRET,
        encode: encodeJson,
        decode: decodeJson,
        logger: new RecordingLogger(),
        random: () => 0,
      },
      { onMessage: () => {} },
    );
    t.setPeers({ y: 'ws://127.0.0.1:9' });
    await within(t.close(), 'close');
  });

  it('rejects listen on a port in use with BATON_CONFIG naming listen', async () => {
    const a = await pool.start('a');
    const error = await rejection(pool.start('b', { listen: { host: '127.0.0.1', port: a.port } }));
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect((error as { field: string }).field).toBe('listen');
  });

  it('rejects bad options and bad peer URLs with BATON_CONFIG naming the field', async () => {
    const base = {
      id: 'a',
      listen: { host: '127.0.0.1', port: 0 },
      secret: SECRET,
      encode: encodeJson,
      decode: decodeJson,
      logger: new RecordingLogger(),
      random: () => 0,
    };
    const events = { onMessage: () => {} };
    const bad: [Partial<typeof base> & Record<string, unknown>, string][] = [
      [{ id: '' }, 'id'],
      [{ listen: { host: '127.0.0.1', port: 70_000 } }, 'listen.port'],
      [{ secret: '' }, 'secret'],
      [{ maxPayloadBytes: 0 }, 'maxPayloadBytes'],
      [{ sendQueueBytesMax: 1.5 }, 'sendQueueBytesMax'],
      [{ reconnect: { baseMs: 10, maxMs: 1 } }, 'reconnect.maxMs'],
      [{ tls: { key: 'k', cert: '', ca: 'c' } }, 'tls.cert'],
    ];
    for (const [override, field] of bad) {
      const error = thrown(() => new WsTransport({ ...base, ...override }, events));
      expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
      expect((error as { field: string }).field).toBe(field);
    }
    const a = await pool.start('a');
    for (const url of ['http://127.0.0.1:1', 'not a url']) {
      const error = thrown(() => a.transport.setPeers({ b: url }));
      expect((error as { field: string }).field).toBe('peers.b');
    }
  });
});
