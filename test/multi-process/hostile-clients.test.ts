import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  awaitAllFollow,
  awaitLeader,
  expectOneLeaderPerTerm,
  REPLICATION_WAIT_MS,
  tags,
} from '../support/cluster-checks.js';
import { ProcessCluster } from '../support/process-cluster.js';
import { insecureHello, RawPeerClient } from '../support/raw-peer-client.js';

let pc: ProcessCluster | undefined;
const clients: RawPeerClient[] = [];
afterEach(async () => {
  for (const client of clients.splice(0)) client.terminate();
  await pc?.close();
  pc = undefined;
});

const MAX_FRAME_BYTES = 256 * 1024;
const CLIENT_WAIT_MS = 10_000;

/** What a hostile client does once connected; the member must close the connection afterwards. */
interface Attack {
  readonly name: string;
  /**
   * Passes the handshake: it claims the id of one of the target's peers, since only
   * configured members may link. Other attacks claim ids of their own.
   */
  readonly authenticated?: boolean;
  /** `ownId` is unique per client: a second link under the same id would replace (close) the first. */
  run(client: RawPeerClient, target: string, secret: string, ownId: string): Promise<void>;
}

const attacks: readonly Attack[] = [
  {
    name: 'an insecure hello (no secret)',
    run: async (client, _target, _secret, ownId) => client.send(insecureHello(ownId)),
  },
  {
    name: 'a handshake with the wrong secret',
    run: async (client, target, _secret, ownId) => {
      expect(await client.handshake(ownId, target, 'not-the-secret', CLIENT_WAIT_MS)).toBe('failed');
    },
  },
  {
    name: 'binary garbage instead of a hello',
    run: async (client) => client.send(new Uint8Array(randomBytes(512))),
  },
  {
    name: 'text garbage instead of a hello',
    run: async (client) => client.send('{"t":"hello", this is not json'),
  },
  {
    name: 'a frame over the size limit instead of a hello',
    run: async (client) => client.send(new Uint8Array(MAX_FRAME_BYTES + 1)),
  },
  {
    name: 'binary garbage after a valid handshake',
    authenticated: true,
    run: async (client, target, secret, ownId) => {
      expect(await client.handshake(ownId, target, secret, CLIENT_WAIT_MS)).toBe('done');
      client.send(new Uint8Array(randomBytes(512)));
    },
  },
  {
    name: 'a frame over the size limit after a valid handshake',
    authenticated: true,
    run: async (client, target, secret, ownId) => {
      expect(await client.handshake(ownId, target, secret, CLIENT_WAIT_MS)).toBe('done');
      client.send(new Uint8Array(MAX_FRAME_BYTES + 1).fill(7));
    },
  },
];

describe('member processes facing hostile WebSocket clients', () => {
  it('disconnect each one, and the cluster keeps committing and electing', async () => {
    const cluster = await ProcessCluster.start({ tuning: { maxFrameBytes: MAX_FRAME_BYTES } });
    pc = cluster;
    const first = await awaitLeader(cluster);
    await awaitAllFollow(cluster, first);

    for (const target of cluster.ids) {
      // The authenticated attacks pose as the target's peers, one each; the real peer redials.
      const peers = cluster.ids.filter((id) => id !== target);
      let posing = 0;
      await Promise.all(
        attacks.map(async (attack, i) => {
          const client = await RawPeerClient.connect(cluster.members[target]!, CLIENT_WAIT_MS);
          clients.push(client);
          const ownId = attack.authenticated ? peers[posing++ % peers.length]! : `intruder-${i}`;
          await attack.run(client, target, cluster.secret, ownId);
          await expect(
            client.waitClosed(CLIENT_WAIT_MS),
            `${attack.name} against ${target}`,
          ).resolves.toBeTypeOf('number');
        }),
      );
    }

    // Nothing else was disturbed: the same leader, in the same term, still commits.
    expect(await cluster.propose(first.id, tags('after-attacks', 5), REPLICATION_WAIT_MS)).toHaveLength(5);
    const leaderStatus = await cluster.status(first.id, REPLICATION_WAIT_MS);
    // On failure, the members' events and logs tell whether an attack or the machine's load moved it.
    expect({ role: leaderStatus.role, term: leaderStatus.term }, cluster.report()).toEqual({
      role: 'leader',
      term: first.term,
    });

    const mark = cluster.mark();
    await cluster.crash(first.id);
    const next = await awaitLeader(cluster, { after: mark, aboveTerm: first.term });
    expect(await cluster.propose(next.id, tags('after-failover', 5), REPLICATION_WAIT_MS)).toHaveLength(5);
    expectOneLeaderPerTerm(cluster.events());
  });
});
