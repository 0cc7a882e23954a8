import { Cluster } from '@baton/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';
import { collectingLogger, waitUntil } from './support/in-process.js';

const running: Cluster[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe('clusterName', () => {
  it('a member of another cluster sharing the secret is refused, and the rest elect and commit without it', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const secret = 'shared-by-staging-and-production';
    const outsider = collectingLogger('warn');
    const silent = pino({ level: 'silent' });
    for (const id of ['n1', 'n2']) {
      running.push(
        await Cluster.start({
          id,
          members,
          secret,
          clusterName: 'blue',
          dataDir: ':memory:',
          logger: silent,
        }),
      );
    }
    const n3 = await Cluster.start({
      id: 'n3',
      members,
      secret,
      clusterName: 'green',
      dataDir: ':memory:',
      logger: outsider.logger,
    });
    running.push(n3);
    const token = await Promise.race(
      running.slice(0, 2).map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })),
    );
    const leader = running.find((c) => c.role === 'leader')!;
    const { index } = await leader.propose(Uint8Array.of(1));
    // The blue members' dials reach n3 and fail its check of their proof.
    await waitUntil(
      () =>
        outsider.lines.some(
          (w) => w.msg === 'refused a peer link: its handshake failed' && w.cause === 'bad-proof',
        ),
      'n3 refuses a blue member',
    );
    // Several heartbeats later n3 has still heard nothing from the leader.
    await waitUntil(() => running.every((c) => c === n3 || c.status().appliedIndex >= index), 'blue applies');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(n3.leaderId).toBeUndefined();
    expect(n3.status().commitIndex).toBe(0);
    expect(leader.term).toBe(token.term);
  });

  it('members with the same name link up as before', async () => {
    const members = await memberUrls(['n1', 'n2']);
    const logger = pino({ level: 'silent' });
    for (const id of Object.keys(members)) {
      running.push(
        await Cluster.start({
          id,
          members,
          secret: 'name-test-secret-0001',
          clusterName: 'blue',
          dataDir: ':memory:',
          logger,
        }),
      );
    }
    const token = await Promise.race(
      running.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })),
    );
    expect(token.valid).toBe(true);
  });
});
