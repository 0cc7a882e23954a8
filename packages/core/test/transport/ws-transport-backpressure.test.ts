import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { WebSocketServer } from 'ws';
import type { PeerMessage as Message } from '../../src/peer-message.js';
import { Handshake } from '../../src/transport/handshake.js';
import { decodeJson, heartbeat, MemberPool, Recorder, SECRET, within } from './transport-fixtures.js';

const pool = new MemberPool();
const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
  await pool.closeAll();
});

/**
 * A hand-made member 'slow' that authenticates dialers like a real one, records every message, and whose
 * socket reading the test can pause, so that the kernel buffers fill and the sender's socket backs up.
 */
async function slowPeer(): Promise<{ url: string; inbox: Recorder<Message>; socket: Promise<WebSocket> }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 16 * 1024 * 1024 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const inbox = new Recorder<Message>();
  const socket = new Promise<WebSocket>((resolve) => {
    server.on('connection', (ws) => {
      const handshake = new Handshake({
        role: 'acceptor',
        ownId: 'slow',
        expectedPeerId: undefined,
        secret: new TextEncoder().encode(SECRET),
        clusterId: '',
        nonce: new Uint8Array(randomBytes(32)),
      });
      for (const frame of handshake.start()) ws.send(frame);
      let done = false;
      ws.on('message', (data, isBinary) => {
        if (done) {
          if (isBinary) inbox.push(decodeJson(data as Buffer));
          return;
        }
        const step = handshake.receive(String(data));
        for (const frame of step.send) ws.send(frame);
        if (step.status === 'done') {
          done = true;
          resolve(ws);
        }
      });
    });
  });
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, inbox, socket };
}

const FRAME_BYTES = 64 * 1024;

describe('WsTransport send queue', () => {
  const bounds = [
    { bound: 'bytes', messagesMax: 64, bytesMax: 10 * FRAME_BYTES },
    { bound: 'messages', messagesMax: 4, bytesMax: 16 * 1024 * 1024 },
  ] as const;
  it.each(bounds)(
    'drops instead of growing past its $bound bound when the peer stops reading, then drains in order',
    async ({ bound, messagesMax, bytesMax }) => {
      const a = await pool.start('a', {
        sendQueueMessagesMax: messagesMax,
        sendQueueBytesMax: bytesMax,
        socketBufferedBytesMax: 64 * 1024,
        // The peer stops reading on purpose here; keep-alive must not call it dead mid-test.
        keepAliveMs: 60_000,
      });
      const slow = await slowPeer();
      a.transport.setPeers({ slow: slow.url });
      await a.peerEvents.waitFor((e) => e.kind === 'up' && e.peer === 'slow', 'a → slow up');
      const socket = await within(slow.socket, 'slow accepts a');
      socket.pause();

      // 64 KiB per message: far more in total (32 MiB) than loopback socket buffers hold, so the socket backs up.
      const count = 512;
      const padding = 'x'.repeat(FRAME_BYTES);
      for (let round = 1; round <= count; round++) {
        a.transport.send({
          type: 'readIndex',
          from: 'a',
          to: 'slow',
          term: 1,
          requestId: `${round}:${padding}`,
        });
        const stats = a.transport.peerStats('slow')!;
        expect(stats.queuedMessages).toBeLessThanOrEqual(messagesMax);
        expect(stats.queuedBytes).toBeLessThanOrEqual(bytesMax);
      }
      const stats = a.transport.peerStats('slow')!;
      expect(stats.droppedQueueFull).toBeGreaterThan(0);
      if (bound === 'messages') expect(stats.queuedMessages).toBe(messagesMax);
      else expect(stats.queuedBytes + FRAME_BYTES).toBeGreaterThan(bytesMax);
      expect(stats.sentMessages + stats.queuedMessages + stats.droppedQueueFull).toBe(count);
      await a.logger.waitFor(
        (e) => e.msg.startsWith('peer send queue full'),
        'a warns once about the full queue',
      );
      expect(a.logger.items.filter((e) => e.msg.startsWith('peer send queue full'))).toHaveLength(1);

      socket.resume();
      const accepted = count - stats.droppedQueueFull;
      await slow.inbox.waitForCount(() => true, accepted, `${accepted} accepted messages delivered`);
      const rounds = slow.inbox.items.map((m) =>
        m.type === 'readIndex' ? Number(m.requestId.split(':')[0]) : 0,
      );
      expect(rounds.every((round, i) => i === 0 || round > rounds[i - 1]!)).toBe(true);
      expect(slow.inbox.items).toHaveLength(accepted);
      expect(a.transport.peerStats('slow')).toMatchObject({ queuedMessages: 0, queuedBytes: 0 });
    },
  );
});

describe("WsTransport: a turn's frames on a healthy link", () => {
  async function linkedToSlow(overrides: Parameters<MemberPool['start']>[1] = {}) {
    const a = await pool.start('a', overrides);
    const slow = await slowPeer();
    a.transport.setPeers({ slow: slow.url });
    await a.peerEvents.waitFor((e) => e.kind === 'up' && e.peer === 'slow', 'a → slow up');
    await within(slow.socket, 'slow accepts a');
    return { a, slow };
  }

  it('more frames in one turn than the queue holds all leave, in order', async () => {
    const { a, slow } = await linkedToSlow({ sendQueueMessagesMax: 4 });
    for (let round = 1; round <= 50; round++) a.transport.send(heartbeat('a', 'slow', round));
    await slow.inbox.waitForCount((m) => m.type === 'heartbeat', 50, '50 heartbeats');
    expect(slow.inbox.items.map((m) => (m.type === 'heartbeat' ? m.round : -1))).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    expect(a.transport.peerStats('slow')?.droppedQueueFull).toBe(0);
  });

  it('a frame bigger than the whole queue still goes to an idle socket', async () => {
    const { a, slow } = await linkedToSlow({ sendQueueBytesMax: 64 * 1024 });
    const requestId = `big:${'x'.repeat(200_000)}`;
    expect(a.transport.send({ type: 'readIndex', from: 'a', to: 'slow', term: 1, requestId })).toBe(true);
    await slow.inbox.waitForCount((m) => m.type === 'readIndex', 1, 'the big frame');
    expect(a.transport.peerStats('slow')?.droppedQueueFull).toBe(0);
  });

  it('frames sent in the turn the transport closes still leave', async () => {
    const { a, slow } = await linkedToSlow();
    for (let round = 1; round <= 3; round++) a.transport.send(heartbeat('a', 'slow', round));
    await a.transport.close();
    await slow.inbox.waitForCount((m) => m.type === 'heartbeat', 3, 'the last turn’s 3 heartbeats');
  });
});

describe('WsTransport keep-alive', () => {
  it('redials a link whose peer stopped answering pings, though the kernel still accepts writes', async () => {
    const a = await pool.start('a', { keepAliveMs: 50 });
    const slow = await slowPeer();
    a.transport.setPeers({ slow: slow.url });
    await a.peerEvents.waitFor((e) => e.kind === 'up' && e.peer === 'slow', 'a → slow up');
    (await within(slow.socket, 'slow accepts a')).pause();
    // Small messages keep flowing into the kernel's buffer, as Raft heartbeats to a vanished host would.
    let round = 0;
    const heartbeats = setInterval(() => a.transport.send(heartbeat('a', 'slow', ++round)), 5);
    try {
      await a.peerEvents.waitFor((e) => e.kind === 'down' && e.peer === 'slow', 'a gives up on slow');
    } finally {
      clearInterval(heartbeats);
    }
    expect(round).toBeGreaterThan(0);
    expect(a.logger.items.some((e) => e.obj.reason === 'keep-alive-timeout')).toBe(true);
    await a.peerEvents.waitForCount((e) => e.kind === 'up' && e.peer === 'slow', 2, 'a redials slow');
  });

  it('keeps a link whose peer answers', async () => {
    const a = await pool.start('a', { keepAliveMs: 20 });
    const slow = await slowPeer();
    a.transport.setPeers({ slow: slow.url });
    const socket = await within(slow.socket, 'slow accepts a');
    const pings = new Recorder<number>();
    socket.on('ping', () => pings.push(Date.now()));
    // A ping after the second one proves the link survived a check that needed the previous pong.
    await pings.waitForCount(() => true, 6, 'six keep-alive pings on the first socket');
    expect(a.transport.peerStats('slow')).toMatchObject({ up: true, connects: 1 });
    expect(a.peerEvents.items.filter((e) => e.kind === 'down')).toEqual([]);
  });
});
