import { Cluster } from '@baton/core';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';
import { collectingLogger, waitUntil } from './support/in-process.js';
import { RawPeerClient } from './support/raw-peer-client.js';

const running: Cluster[] = [];
const clients: RawPeerClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

const SECRET = 'unknown-member-id-test-secret';
const WAIT_MS = 10_000;

describe('a peer that proves the secret under an id outside the members option', () => {
  it('is refused at its hello, before any proof, and logged with the id it claimed', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const log = collectingLogger('warn');
    const n1 = await Cluster.start({
      id: 'n1',
      members,
      secret: SECRET,
      dataDir: ':memory:',
      logger: log.logger,
    });
    running.push(n1);

    const intruder = await RawPeerClient.connect(members.n1!, WAIT_MS);
    clients.push(intruder);
    // The secret is right; only the id is not a member's.
    expect(await intruder.handshake('n9', 'n1', SECRET, WAIT_MS)).toBe('failed');
    await intruder.waitClosed(WAIT_MS);
    await waitUntil(
      () =>
        log.lines.some(
          (l) =>
            l.msg === 'refused a peer link: its handshake failed' &&
            l.cause === 'unknown-peer' &&
            l.claimedPeer === 'n9',
        ),
      'n1 logs the refusal of n9',
    );

    // A configured id with the secret still gets in.
    const member = await RawPeerClient.connect(members.n1!, WAIT_MS);
    clients.push(member);
    expect(await member.handshake('n2', 'n1', SECRET, WAIT_MS)).toBe('done');
  });
});
