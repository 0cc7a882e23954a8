import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM material for one member: its key and certificate, and the CA that verifies its peers. */
export interface TestTls {
  readonly key: string;
  readonly cert: string;
  readonly ca: string;
}

/**
 * Throw-away certificate authorities for TLS tests. Node cannot create X.509
 * certificates by itself, so this asks the `openssl` CLI. Without `openssl`
 * on PATH the tests that use it fail (they never skip).
 */
export class TestCertificates {
  private readonly dir = mkdtempSync(join(tmpdir(), 'baton-tls-'));

  constructor() {
    writeFileSync(join(this.dir, 'openssl.cnf'), OPENSSL_CONFIG);
  }

  /** A CA and one member certificate it signed, valid for 127.0.0.1, for both server and client use. */
  makeCa(name: string): TestTls {
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
    this.openssl(
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
    this.openssl(...req, '-subj', `/CN=${name}-member`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    this.openssl(
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
    const read = (file: string): string => readFileSync(join(this.dir, file), 'utf8');
    return { key: read(`${name}.key`), cert: read(`${name}.crt`), ca: read(`${name}-ca.crt`) };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openssl(...args: string[]): void {
    execFileSync('openssl', args, { cwd: this.dir, stdio: 'pipe' });
  }
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
