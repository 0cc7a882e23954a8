import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError, Cluster } from '@baton/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  awaitCaughtUp,
  awaitLeader,
  ELECTION_WAIT_MS,
  expectSameAppliedCommands,
  REPLICATION_WAIT_MS,
  tags,
} from '../support/cluster-checks.js';
import { type EventOf, ProcessCluster } from '../support/process-cluster.js';
import {
  ENTRY_RECORD_TYPE,
  HARD_STATE_RECORD_TYPE,
  newestSegment,
  recordOffsets,
} from '../support/wal-files.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('damaged WAL segments of a stopped member', () => {
  it('a torn tail is cut off and the member catches up; a corrupted middle refuses to start, file untouched', async () => {
    const cluster = await ProcessCluster.start();
    pc = cluster;
    const first = await awaitLeader(cluster);
    const leader = first.id;
    const follower = cluster.ids.find((id) => id !== leader)!;
    await cluster.waitForEvent(follower, 'leader', (e) => e.leaderId === leader, ELECTION_WAIT_MS);
    const acks: EventOf<'ack'>[] = await cluster.propose(leader, tags('before', 50), REPLICATION_WAIT_MS);
    await awaitCaughtUp(cluster, leader, [follower]);
    await cluster.stop(follower, REPLICATION_WAIT_MS);

    // Tear the tail as a crash in the middle of a write would: the record being written when the
    // crash came was never acknowledged. The newest records are hard states (commit updates) that
    // follow the last entry; cut the last one in half. (Cutting into an entry the member had
    // acknowledged would model a disk that lost fsynced data, which Raft does not survive.)
    const segment = await newestSegment(cluster.dataDir(follower));
    const records = await recordOffsets(segment);
    const lastEntry = records.filter((r) => r.type === ENTRY_RECORD_TYPE).at(-1)!;
    const last = records.at(-1)!;
    expect(last.type).toBe(HARD_STATE_RECORD_TYPE);
    expect(last.offset).toBeGreaterThan(lastEntry.offset);
    const sizeBefore = (await stat(segment)).size;
    await truncate(segment, last.offset + Math.floor((sizeBefore - last.offset) / 2));

    acks.push(...(await cluster.propose(leader, tags('while-down', 20), REPLICATION_WAIT_MS)));
    await cluster.restart(follower);
    const statuses = await awaitCaughtUp(cluster, leader, cluster.ids);
    expect(statuses.find((s) => s.id === follower)!.applied).toEqual(statuses.at(-1)!.applied);
    expectSameAppliedCommands(statuses, acks);

    // Corrupt the middle of a segment: the member must refuse to start and leave the file as it was.
    await cluster.stop(follower, REPLICATION_WAIT_MS);
    const damaged = await newestSegment(cluster.dataDir(follower));
    // The torn half record was cut off before new records were appended: they tile the file again.
    expect((await recordOffsets(damaged)).at(-1)!.end).toBe((await stat(damaged)).size);
    const bytes = await readFile(damaged);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    await writeFile(damaged, bytes);
    const walFiles = await readdir(join(cluster.dataDir(follower), 'wal'));

    const error = await rejection(
      Cluster.start({
        id: follower,
        members: cluster.members,
        dataDir: cluster.dataDir(follower),
        secret: cluster.secret,
        logger: pino({ level: 'silent' }),
      }),
    );
    expect(error).toBeInstanceOf(BatonError);
    expect((error as BatonError).code).toBe('BATON_STORAGE_CORRUPT');
    expect(await readFile(damaged)).toEqual(bytes);
    expect(await readdir(join(cluster.dataDir(follower), 'wal'))).toEqual(walFiles);

    // The same as a process: it reports the code and exits instead of serving.
    const mark = cluster.mark();
    await expect(cluster.restart(follower)).rejects.toThrow();
    const failure = await cluster.waitForEvent(follower, 'error', () => true, REPLICATION_WAIT_MS, {
      after: mark,
    });
    expect(failure.code).toBe('BATON_STORAGE_CORRUPT');
    expect(await readFile(damaged)).toEqual(bytes);

    // The other two still form a majority and commit.
    expect(await cluster.propose(leader, tags('after-corruption', 5), REPLICATION_WAIT_MS)).toHaveLength(5);
  });
});
