import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster.js';
import { silentLogger } from '../src/env.js';
import { makeTempDir, removeTempDir } from './storage/storage-test-kit.js';

let dir: string;
const started: Cluster[] = [];
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((c) => c.stop()));
  await removeTempDir(dir);
});

const members = { n1: 'wss://127.0.0.1:0' } as const;

/**
 * TLS material that is a string but not PEM passes option checks, then the
 * server refuses it: Cluster.start must fail with BATON_CONFIG naming the tls
 * field and release everything it took (the dataDir lock above all), so a
 * corrected start in the same process succeeds.
 */
describe('Cluster.start with unusable TLS material', () => {
  it('fails with BATON_CONFIG naming a tls field', async () => {
    const error = await Cluster.start({
      id: 'n1',
      members,
      listen: { host: '127.0.0.1', port: 0 },
      dataDir: dir,
      secret: 'tls-errors-test-secret',
      tls: { key: 'not pem', cert: 'not pem', ca: 'not pem' },
      logger: silentLogger,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'BATON_CONFIG', field: expect.stringMatching(/^tls/) });
  });

  it('leaves the dataDir free, so a corrected start in the same process succeeds', async () => {
    await Cluster.start({
      id: 'n1',
      members,
      listen: { host: '127.0.0.1', port: 0 },
      dataDir: dir,
      secret: 'tls-errors-test-secret',
      tls: { key: 'not pem', cert: 'not pem', ca: 'not pem' },
      logger: silentLogger,
    }).catch(() => undefined);
    const cluster = await Cluster.start({
      id: 'n1',
      members: { n1: 'ws://127.0.0.1:0' },
      listen: { host: '127.0.0.1', port: 0 },
      dataDir: dir,
      secret: 'tls-errors-test-secret',
      logger: silentLogger,
    });
    started.push(cluster);
    expect(cluster.id).toBe('n1');
  });
});
