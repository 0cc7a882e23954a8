import { mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, type ClusterOptions } from '@baton/core';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';

let dir: string;
let members: Record<string, string>;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-identity-'));
  members = await memberUrls(['n1', 'n2', 'n3']);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function options(id: string, extra: Partial<ClusterOptions> = {}): ClusterOptions {
  return {
    id,
    members,
    dataDir: join(dir, id),
    secret: 'identity-test-secret',
    logger: pino({ level: 'silent' }),
    ...extra,
  };
}

describe('a dataDir belongs to one member of one cluster', () => {
  it('Cluster.start refuses another member’s dataDir (swapped), naming dataDir, and starts on its own', async () => {
    for (const id of ['n1', 'n2']) await (await Cluster.start(options(id))).stop();
    await rename(join(dir, 'n1'), join(dir, 'swap'));
    await rename(join(dir, 'n2'), join(dir, 'n1'));
    await rename(join(dir, 'swap'), join(dir, 'n2'));
    for (const id of ['n1', 'n2']) {
      await expect(Cluster.start(options(id))).rejects.toMatchObject({
        code: 'BATON_CONFIG',
        field: 'dataDir',
      });
    }
    // Nothing was held open by the refused starts: each member starts on its own dataDir.
    await (await Cluster.start(options('n1', { dataDir: join(dir, 'n2') }))).stop();
  });

  it('Cluster.start refuses a dataDir of a cluster with another name or other initial members', async () => {
    await (await Cluster.start(options('n1', { clusterName: 'billing' }))).stop();
    await expect(Cluster.start(options('n1', { clusterName: 'staging' }))).rejects.toMatchObject({
      code: 'BATON_CONFIG',
      field: 'dataDir',
    });
    const others = { n1: members.n1!, n4: members.n2!, n5: members.n3! };
    await expect(
      Cluster.start(options('n1', { clusterName: 'billing', members: others })),
    ).rejects.toMatchObject({
      code: 'BATON_CONFIG',
      field: 'dataDir',
    });
  });
});
