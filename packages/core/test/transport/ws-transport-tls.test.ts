import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import type { TransportTlsOptions } from '../../src/transport/transport-options.js';
import { TestCertificates } from '../support/test-certificates.js';
import { connectAll, MemberPool, openRaw, roundTrip } from './transport-fixtures.js';

let certificates: TestCertificates;
let trusted: TransportTlsOptions;
let foreign: TransportTlsOptions;

beforeAll(() => {
  certificates = new TestCertificates();
  trusted = certificates.makeCa('trusted');
  foreign = certificates.makeCa('foreign');
});

afterAll(() => {
  certificates.remove();
});

const pool = new MemberPool();
afterEach(() => pool.closeAll());

describe('WsTransport over TLS', () => {
  it('links members over wss:// with certificates verified both ways', async () => {
    const a = await pool.start('a', { tls: trusted });
    const b = await pool.start('b', { tls: trusted });
    expect(a.url.startsWith('wss://')).toBe(true);
    await connectAll([a, b]);
    await roundTrip(a, b, 1);
    await roundTrip(b, a, 1);
  });

  it('refuses to link with a member whose certificate another CA signed', async () => {
    const a = await pool.start('a', { tls: foreign });
    const b = await pool.start('b', { tls: trusted });
    a.transport.setPeers({ b: b.url });
    b.transport.setPeers({ a: a.url });
    const aRefuses = await a.logger.waitFor(
      (e) => e.msg === 'cannot link to peer' && e.obj.peer === 'b',
      'a fails',
    );
    const bRefuses = await b.logger.waitFor(
      (e) => e.msg === 'cannot link to peer' && e.obj.peer === 'a',
      'b fails',
    );
    for (const entry of [aRefuses, bRefuses]) {
      expect(entry.level).toBe('warn');
      expect(entry.obj.cause).toMatch(/CERT|VERIFY|SIGNATURE/);
      expect(entry.obj.hint).toMatch(/TLS/);
    }
    expect([a.transport.peerStats('b')?.connects, b.transport.peerStats('a')?.connects]).toEqual([0, 0]);
  });

  it('refuses a client that presents no certificate, while member links keep working', async () => {
    const a = await pool.start('a', { tls: trusted });
    const b = await pool.start('b', { tls: trusted });
    await connectAll([a, b]);
    await expect(openRaw(b.url, { ca: pem(trusted.ca) })).rejects.toThrow();
    await b.logger.waitFor((e) => e.msg === 'peer TLS handshake failed', 'b logs the refused client');
    await roundTrip(a, b, 2);
  });

  it('refuses a client whose certificate another CA signed', async () => {
    const b = await pool.start('b', { tls: trusted });
    await expect(
      openRaw(b.url, { ca: pem(trusted.ca), key: pem(foreign.key), cert: pem(foreign.cert) }),
    ).rejects.toThrow();
  });

  it('refuses a plaintext client', async () => {
    const b = await pool.start('b', { tls: trusted });
    await expect(openRaw(b.url.replace('wss://', 'ws://'))).rejects.toThrow();
  });

  it('refuses ws:// peer URLs when TLS is on', async () => {
    const a = await pool.start('a', { tls: trusted });
    let caught: unknown;
    try {
      a.transport.setPeers({ b: 'ws://127.0.0.1:1' });
    } catch (error) {
      caught = error;
    }
    expect(isBatonError(caught, 'BATON_CONFIG')).toBe(true);
  });
});

/** PEM material as the ws client options take it. */
function pem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}
