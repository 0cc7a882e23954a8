import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatonError, Cluster, type ClusterOptions } from '@baton/core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memberUrls } from '../support/free-port.js';

let dir: string;
let members: Record<string, string>;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-options-'));
  await writeFile(join(dir, 'a-file'), 'a regular file, not a directory');
  members = await memberUrls(['n1', 'n2', 'n3']);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Valid options; each case below breaks one thing. */
function base(): ClusterOptions {
  return {
    id: 'n1',
    members,
    dataDir: join(dir, 'never-created'),
    secret: 'options-test-secret1',
    logger: pino({ level: 'silent' }),
  };
}

const cases: readonly {
  name: string;
  change: (o: ClusterOptions) => Record<string, unknown>;
  field: string;
}[] = [
  {
    name: 'members without this id',
    change: (o) => ({ ...o, members: { n2: members.n2, n3: members.n3 } }),
    field: 'members',
  },
  { name: 'members not an object', change: (o) => ({ ...o, members: 'n1,n2,n3' }), field: 'members' },
  {
    name: 'an http:// peer URL',
    change: (o) => ({ ...o, members: { ...members, n2: 'http://127.0.0.1:1' } }),
    field: 'members.n2',
  },
  {
    name: 'a peer URL that does not parse',
    change: (o) => ({ ...o, members: { ...members, n3: 'not a url' } }),
    field: 'members.n3',
  },
  {
    name: 'a peer URL that is not a string',
    change: (o) => ({ ...o, members: { ...members, n2: 7402 } }),
    field: 'members.n2',
  },
  {
    name: 'an id with a space',
    change: (o) => ({ ...o, id: 'n 1', members: { ...members, 'n 1': members.n1 } }),
    field: 'id',
  },
  { name: 'no secret and no insecure', change: (o) => ({ ...o, secret: undefined }), field: 'secret' },
  { name: 'an empty secret', change: (o) => ({ ...o, secret: '' }), field: 'secret' },
  {
    name: 'insecure given as a string',
    change: (o) => ({ ...o, secret: undefined, insecure: 'yes' }),
    field: 'insecure',
  },
  { name: 'a secret that is not a string', change: (o) => ({ ...o, secret: 12345 }), field: 'secret' },
  { name: 'a secret shorter than 16 bytes', change: (o) => ({ ...o, secret: 'x' }), field: 'secret' },
  { name: 'a misspelt option', change: (o) => ({ ...o, heartbeatMS: 100 }), field: 'heartbeatMS' },
  {
    name: 'a member URL without a port',
    change: (o) => ({ ...o, members: { ...members, n2: 'ws://127.0.0.1' } }),
    field: 'members.n2',
  },
  { name: 'a negative heartbeat', change: (o) => ({ ...o, heartbeatMs: -5 }), field: 'heartbeatMs' },
  { name: 'a NaN heartbeat', change: (o) => ({ ...o, heartbeatMs: Number.NaN }), field: 'heartbeatMs' },
  {
    name: 'an election timeout not above the heartbeat',
    change: (o) => ({ ...o, heartbeatMs: 100, electionTimeoutMs: [100, 200] }),
    field: 'electionTimeoutMs',
  },
  {
    name: 'an election timeout range with max = min',
    change: (o) => ({ ...o, electionTimeoutMs: [400, 400] }),
    field: 'electionTimeoutMs',
  },
  {
    name: 'a negative election timeout',
    change: (o) => ({ ...o, electionTimeoutMs: [-300, 600] }),
    field: 'electionTimeoutMs[0]',
  },
  { name: 'a dataDir that is a number', change: (o) => ({ ...o, dataDir: 42 }), field: 'dataDir' },
  { name: 'an empty dataDir', change: (o) => ({ ...o, dataDir: '' }), field: 'dataDir' },
  {
    name: 'a listen port out of range',
    change: (o) => ({ ...o, listen: { port: 70_000 } }),
    field: 'listen.port',
  },
  { name: 'a drift bound of one half', change: (o) => ({ ...o, driftBound: 0.5 }), field: 'driftBound' },
  { name: 'a zero frame limit', change: (o) => ({ ...o, maxFrameBytes: 0 }), field: 'maxFrameBytes' },
  {
    name: 'a frame limit above what one log record holds',
    change: (o) => ({ ...o, maxFrameBytes: 128 * 1024 * 1024 }),
    field: 'maxFrameBytes',
  },
  {
    name: 'a drift bound given as a string',
    change: (o) => ({ ...o, driftBound: '0.1' }),
    field: 'driftBound',
  },
  {
    name: 'a drift bound that leaves a lease shorter than two heartbeats',
    change: (o) => ({ ...o, heartbeatMs: 100, electionTimeoutMs: [300, 600], driftBound: 0.49 }),
    field: 'driftBound',
  },
  {
    name: 'a ws:// member URL with tls set',
    change: (o) => ({ ...o, tls: { key: 'k', cert: 'c', ca: 'a' } }),
    field: 'members.n1',
  },
  {
    name: 'a wss:// member URL without tls',
    change: (o) => ({ ...o, members: { ...members, n2: members.n2!.replace('ws:', 'wss:') } }),
    field: 'members.n2',
  },
  {
    name: 'a dataDir below a regular file',
    change: (o) => ({ ...o, dataDir: join(dir, 'a-file', 'n1') }),
    field: 'dataDir',
  },
  {
    name: 'a fractional snapshotEntries',
    change: (o) => ({ ...o, snapshotEntries: 1.5 }),
    field: 'snapshotEntries',
  },
  {
    name: 'a cluster name that is a number',
    change: (o) => ({ ...o, clusterName: 7 }),
    field: 'clusterName',
  },
  {
    name: 'a cluster name longer than 255 bytes',
    change: (o) => ({ ...o, clusterName: 'é'.repeat(128) }),
    field: 'clusterName',
  },
  {
    name: 'a TLS key that is a number',
    change: (o) => ({ ...o, tls: { key: 1, cert: 'c', ca: 'a' } }),
    field: 'tls.key',
  },
];

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    const started = await promise;
    await (started as Cluster).stop();
  } catch (error) {
    return error;
  }
  throw new Error('expected Cluster.start to reject');
}

describe('Cluster.start with invalid options', () => {
  it.each(cases)(
    'rejects $name with BATON_CONFIG naming $field, touching nothing',
    async ({ change, field }) => {
      const options = change(base());
      const copy = { ...options };
      const error = await rejection(Cluster.start(options as unknown as ClusterOptions));
      expect(error).toBeInstanceOf(BatonError);
      expect((error as BatonError).code).toBe('BATON_CONFIG');
      expect((error as BatonError).field).toBe(field);
      expect(options).toEqual(copy);
      expect(existsSync(join(dir, 'never-created'))).toBe(false);
    },
  );

  it('starts with the valid base options, and without a secret when insecure is explicit', async () => {
    for (const options of [
      { ...base(), dataDir: ':memory:' },
      { ...base(), dataDir: ':memory:', secret: undefined, insecure: true },
    ]) {
      const cluster = await Cluster.start({ ...options, listen: { port: 0 } });
      expect(cluster.status().role).toBe('follower');
      await cluster.stop();
    }
  });
});
