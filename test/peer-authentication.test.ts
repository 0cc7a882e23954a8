import { randomBytes } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { Cluster } from '@baton/core';
import { Locks } from '@baton/lock';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HANDSHAKE_NONCE_BYTES, Handshake } from '../packages/core/src/transport/handshake.js';
import { TestCertificates, type TestTls } from '../packages/core/test/support/test-certificates.js';
import { memberUrls } from './support/free-port.js';
import { collectingLogger, waitUntil } from './support/in-process.js';
import { RawPeerClient } from './support/raw-peer-client.js';

/**
 * A live member refuses every peer that cannot prove it is one of the
 * cluster's configured members (DESIGN.md §4), closes the connection and
 * logs why — and goes on serving locks.
 */
const SECRET = 'peer-authentication-secret';
const WAIT_MS = 10_000;
/** The transport's default handshake deadline; a half-open handshake must be gone by then (plus load). */
const HANDSHAKE_TIMEOUT_MS = 5000;
const LATE_MS = 2500;

const running: Cluster[] = [];
const clients: RawPeerClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

/** Three members named `clusterName`; n1 logs to `log`. */
async function threeMembers(options: { clusterName?: string; tls?: TestTls } = {}) {
  const ids = ['n1', 'n2', 'n3'];
  const members = await memberUrls(ids);
  if (options.tls) for (const id of ids) members[id] = members[id]!.replace('ws://', 'wss://');
  const log = collectingLogger('warn');
  for (const id of ids) {
    running.push(
      await Cluster.start({
        id,
        members,
        secret: SECRET,
        dataDir: ':memory:',
        logger: id === 'n1' ? log.logger : collectingLogger('silent').logger,
        ...(options.clusterName === undefined ? {} : { clusterName: options.clusterName }),
        ...(options.tls === undefined ? {} : { tls: options.tls }),
      }),
    );
  }
  return { n1: running[0]!, url: members.n1!, log };
}

function refusedFor(log: { lines: Record<string, unknown>[] }, cause: string): Promise<void> {
  return waitUntil(
    () => log.lines.some((l) => l.msg === 'refused a peer link: its handshake failed' && l.cause === cause),
    `n1 logs a refused handshake (${cause})`,
  );
}

async function client(url: string): Promise<RawPeerClient> {
  const c = await RawPeerClient.connect(url, WAIT_MS);
  clients.push(c);
  return c;
}

/** The cluster still serves: a lock taken and released through n1. */
async function servesLocks(n1: Cluster): Promise<void> {
  const locks = new Locks(n1, { ttlMs: 2000 });
  await locks.withLock('after-attacks', async (held) => expect(held.valid).toBe(true), { waitMs: WAIT_MS });
  await locks.close();
}

let certificates: TestCertificates;
beforeAll(() => {
  certificates = new TestCertificates();
});
afterAll(() => certificates.remove());

describe('a live member refuses peers that cannot prove membership', () => {
  it('a wrong secret', async () => {
    const { n1, url, log } = await threeMembers();
    const c = await client(url);
    expect(await c.handshake('n2', 'n1', 'not-the-cluster-secret', WAIT_MS)).toBe('failed');
    await c.waitClosed(WAIT_MS);
    await refusedFor(log, 'bad-proof');
    await servesLocks(n1);
  });

  it('a handshake answer recorded from an earlier connection and replayed', async () => {
    const { n1, url, log } = await threeMembers();
    // An honest dialer's exchange, recorded: its hello (with its nonce) and its proof.
    const nonce = new Uint8Array(randomBytes(HANDSHAKE_NONCE_BYTES));
    const honest = new Handshake({
      role: 'dialer',
      ownId: 'n2',
      expectedPeerId: 'n1',
      secret: new TextEncoder().encode(SECRET),
      clusterId: '',
      nonce,
    });
    const first = await client(url);
    const recorded = [...honest.start()];
    for (const frame of recorded) first.send(frame);
    const step = honest.receive(await first.nextText(WAIT_MS));
    recorded.push(...step.send);
    for (const frame of step.send) first.send(frame);
    expect(honest.receive(await first.nextText(WAIT_MS)).status).toBe('done');
    first.terminate();
    // The same frames on a new connection: the member's fresh nonce makes the old proof worthless.
    const replay = await client(url);
    for (const frame of recorded) replay.send(frame);
    await replay.waitClosed(WAIT_MS);
    await refusedFor(log, 'bad-proof');
    await servesLocks(n1);
  });

  it('slow and idle half-open handshakes, closed within the handshake deadline', async () => {
    const { n1, url, log } = await threeMembers();
    const started = performance.now();
    // A WebSocket that never says a word; one that sends its hello and never proves; a TCP
    // connection that never finishes its HTTP upgrade.
    const silent = await client(url);
    const halfway = await client(url);
    halfway.send(
      JSON.stringify({
        t: 'hello',
        v: 1,
        id: 'n2',
        nonce: randomBytes(32).toString('base64'),
        auth: 'hmac-sha256',
      }),
    );
    const port = Number(new URL(url).port);
    const tcpClosed = new Promise<number>((resolve) => {
      const socket = connectTcp({ host: '127.0.0.1', port }, () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n'),
      );
      socket.on('error', () => {});
      socket.on('close', () => resolve(performance.now() - started));
    });
    const closedAfter = await Promise.all([
      silent.waitClosed(HANDSHAKE_TIMEOUT_MS + LATE_MS).then(() => performance.now() - started),
      halfway.waitClosed(HANDSHAKE_TIMEOUT_MS + LATE_MS).then(() => performance.now() - started),
      tcpClosed,
    ]);
    for (const ms of closedAfter) expect(ms).toBeLessThan(HANDSHAKE_TIMEOUT_MS + LATE_MS);
    await refusedFor(log, 'handshake-timeout');
    await servesLocks(n1);
  });

  it('a peer of another cluster that shares the secret', async () => {
    const { n1, url, log } = await threeMembers({ clusterName: 'billing-prod' });
    const c = await client(url);
    expect(await c.handshake('n2', 'n1', SECRET, WAIT_MS, 'billing-staging')).toBe('failed');
    await c.waitClosed(WAIT_MS);
    await refusedFor(log, 'bad-proof');
    await servesLocks(n1);
  });

  it('a TLS peer whose certificate another CA signed', async () => {
    const trusted = certificates.makeCa('trusted');
    const foreign = certificates.makeCa('foreign');
    const { n1, url, log } = await threeMembers({ tls: trusted });
    const port = Number(new URL(url).port);
    // The client does not check the member (rejectUnauthorized: false): only the member's check is on trial.
    const outcome = await new Promise<string>((resolve) => {
      const socket = connectTls({
        host: '127.0.0.1',
        port,
        key: foreign.key,
        cert: foreign.cert,
        rejectUnauthorized: false,
      });
      socket.on('secureConnect', () =>
        socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n'),
      );
      socket.on('data', () => resolve('answered'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(`error ${error.code ?? error.message}`));
      socket.on('close', () => resolve('closed'));
    });
    expect(outcome).not.toBe('answered');
    await waitUntil(
      () => log.lines.some((l) => l.msg === 'peer TLS handshake failed'),
      'n1 logs the TLS refusal',
    );
    await servesLocks(n1);
  });
});
