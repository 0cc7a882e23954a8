import { Cluster } from '@baton/core';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TestCertificates, type TestTls } from '../packages/core/test/support/test-certificates.js';
import { memberUrls } from './support/free-port.js';

let certificates: TestCertificates;
let trusted: TestTls;
let foreign: TestTls;
beforeAll(() => {
  certificates = new TestCertificates();
  trusted = certificates.makeCa('trusted');
  foreign = certificates.makeCa('foreign');
});
afterAll(() => certificates.remove());

const running: Cluster[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

function wssMembers(ids: string[]): Promise<Record<string, string>> {
  return memberUrls(ids, 'wss');
}

describe('a cluster over wss://', () => {
  it('elects a leader and commits with certificates verified both ways', async () => {
    const members = await wssMembers(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    for (const id of Object.keys(members)) {
      running.push(
        await Cluster.start({
          id,
          members,
          dataDir: ':memory:',
          secret: 'tls-test-secret-0001',
          tls: trusted,
          logger,
        }),
      );
    }
    const token = await Promise.race(
      running.map((c) => c.leadership({ signal: AbortSignal.timeout(15_000) })),
    );
    expect(token.valid).toBe(true);
    const follower = running.find((c) => c.role !== 'leader')!;
    await expect(follower.propose(new Uint8Array([1]))).resolves.toMatchObject({ index: expect.any(Number) });
  });

  it('a member whose certificate another CA signed never joins: the other two still elect', async () => {
    const members = await wssMembers(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    const outsider = await Cluster.start({
      id: 'n3',
      members,
      dataDir: ':memory:',
      secret: 'tls-test-secret-0001',
      tls: foreign,
      logger,
    });
    running.push(outsider);
    for (const id of ['n1', 'n2']) {
      running.push(
        await Cluster.start({
          id,
          members,
          dataDir: ':memory:',
          secret: 'tls-test-secret-0001',
          tls: trusted,
          logger,
        }),
      );
    }
    const token = await Promise.race(
      running.slice(1).map((c) => c.leadership({ signal: AbortSignal.timeout(15_000) })),
    );
    expect(token.valid).toBe(true);
    // The outsider heard from nobody: it never learns of a leader.
    expect(outsider.leaderId).toBeUndefined();
    expect(outsider.role).not.toBe('leader');
  });
});
