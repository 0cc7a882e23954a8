import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import type { TransportTlsOptions } from '../../src/transport/transport-options.js';
import { connectAll, MemberPool, openRaw, roundTrip } from './transport-fixtures.js';

/**
 * Node cannot create X.509 certificates by itself, so these tests ask the `openssl` CLI for a
 * throw-away CA and member certificate. Without `openssl` on PATH they fail (they never skip).
 */
let dir: string;
let trusted: TransportTlsOptions;
let foreign: TransportTlsOptions;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** openssl's own defaults vary by distribution; this minimal config makes the certificates the same everywhere. */
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[member_ext]
basicConstraints = critical,CA:FALSE
subjectAltName = IP:127.0.0.1,DNS:localhost
extendedKeyUsage = serverAuth,clientAuth
`;

/** A CA and one member certificate it signed, valid for 127.0.0.1, for both server and client use. */
function makeCa(name: string): TransportTlsOptions {
  const req = [
    'req',
    '-config',
    'openssl.cnf',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
  ];
  openssl(
    ...req,
    '-x509',
    '-extensions',
    'ca_ext',
    '-subj',
    `/CN=${name}-ca`,
    '-days',
    '2',
    '-keyout',
    `${name}-ca.key`,
    '-out',
    `${name}-ca.crt`,
  );
  openssl(...req, '-subj', `/CN=${name}-member`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${name}-ca.crt`,
    '-CAkey',
    `${name}-ca.key`,
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'openssl.cnf',
    '-extensions',
    'member_ext',
    '-out',
    `${name}.crt`,
  );
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  return { key: read(`${name}.key`), cert: read(`${name}.crt`), ca: read(`${name}-ca.crt`) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'baton-tls-'));
  writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
  trusted = makeCa('trusted');
  foreign = makeCa('foreign');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
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
      (e) => e.msg === 'peer link error' && e.obj.peer === 'b',
      'a fails',
    );
    const bRefuses = await b.logger.waitFor(
      (e) => e.msg === 'peer link error' && e.obj.peer === 'a',
      'b fails',
    );
    for (const entry of [aRefuses, bRefuses]) {
      expect(entry.level).toBe('warn');
      expect((entry.obj.err as { code?: string }).code).toMatch(/CERT|VERIFY|SIGNATURE/);
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
