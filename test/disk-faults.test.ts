import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BatonError, Cluster } from '@baton/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../packages/core/src/storage/file-storage.js';
import { identityOf } from '../packages/core/src/storage/member-identity.js';
import { DISK_FAULTS, type DiskFault, errnoOf, FaultyStorage } from './support/faulty-storage.js';
import { memberUrls } from './support/free-port.js';
import { RecordingStateMachine } from './support/recording-state-machine.js';

/**
 * Disk faults injected through the storage interface, on a three-member
 * cluster on real write-ahead logs: the member whose disk fails stops with a
 * clear error and acknowledges nothing it could not write; restarted once the
 * fault is gone, it recovers, and nothing acknowledged is lost.
 */
const SECRET = 'disk-faults-test-secret';
const IDS = ['n1', 'n2', 'n3'];
const WAIT_MS = 15_000;
/** Each write made while the faulty disk is needed for a quorum waits this long before giving up. */
const DOOMED_WRITE_MS = 1500;

interface Member {
  readonly id: string;
  cluster: Cluster;
  storage: FaultyStorage;
  machine: RecordingStateMachine;
}

let dir: string | undefined;
const running = new Set<Cluster>();
afterEach(async () => {
  await Promise.all([...running].map((c) => c.stop()));
  running.clear();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

async function startMember(id: string, members: Record<string, string>, root: string): Promise<Member> {
  const logger = pino({ level: 'silent' });
  const inner = await FileStorage.open(join(root, id), { logger, identity: identityOf(id, '', IDS) });
  const storage = new FaultyStorage(inner);
  const machine = new RecordingStateMachine();
  const cluster = await Cluster.start(
    { id, members, dataDir: join(root, id), secret: SECRET, logger },
    { storage, stateMachine: machine },
  );
  running.add(cluster);
  return { id, cluster, storage, machine };
}

async function stopMember(m: Member): Promise<void> {
  await m.cluster.stop();
  running.delete(m.cluster);
}

/** Resolves once `m` has applied `index`, learning of it from its state machine. */
function applied(m: Member, index: number): Promise<void> {
  if (m.machine.lastIndex >= index) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${m.id} did not apply ${index}`)), WAIT_MS);
    const off = m.machine.onApplied((i) => {
      if (i < index) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

async function leaderOf(members: readonly Member[]): Promise<Member> {
  const signal = AbortSignal.timeout(WAIT_MS);
  await Promise.race(members.map((m) => m.cluster.leadership({ signal })));
  return members.find((m) => m.cluster.role === 'leader')!;
}

const tag = (s: string) => new TextEncoder().encode(s);
const tagsOf = (m: Member) => new Set(m.machine.applied.map(([, t]) => t));

describe.each(DISK_FAULTS)('a disk fault (%s)', (fault: DiskFault) => {
  it.each(['follower', 'leader'] as const)(
    'on the %s a quorum needs: it stops with the error, acknowledges nothing, and recovers from its log',
    async (role) => {
      dir = await mkdtemp(join(tmpdir(), 'baton-disk-faults-'));
      const root = dir;
      const urls = await memberUrls(IDS);
      const members = await Promise.all(IDS.map((id) => startMember(id, urls, root)));
      const leader = await leaderOf(members);
      const acked: string[] = [];
      for (let i = 0; i < 10; i++) {
        await leader.cluster.propose(tag(`before-${i}`));
        acked.push(`before-${i}`);
      }
      const followers = members.filter((m) => m !== leader);
      const faulty = role === 'leader' ? leader : followers[0]!;
      const bystander = followers.find((m) => m !== faulty)!;
      // With the bystander down, every commit needs the faulty member's disk.
      await stopMember(bystander);
      const stopped = new Promise<BatonError>((resolve) =>
        faulty.cluster.once('error', (e) => resolve(e as BatonError)),
      );
      faulty.storage.arm(fault);
      const doomed = await Promise.allSettled(
        [0, 1, 2].map((i) => leader.cluster.propose(tag(`during-${i}`), { timeoutMs: DOOMED_WRITE_MS })),
      );
      // Nothing was acknowledged: no quorum held those entries durably.
      expect(doomed.map((d) => d.status)).toEqual(['rejected', 'rejected', 'rejected']);
      const error = await stopped;
      expect(error.code).toBe('BATON_STOPPED');
      expect((error.cause as NodeJS.ErrnoException).code).toBe(errnoOf(fault));
      await expect(faulty.cluster.propose(tag('after-stop'))).rejects.toMatchObject({
        code: 'BATON_STOPPED',
      });
      expect(faulty.storage.failures).toBeGreaterThan(0);
      await stopMember(faulty);

      // The fault is gone: both come back from their dataDirs (the faulty one off the log it kept).
      const back = await Promise.all([faulty, bystander].map((m) => startMember(m.id, urls, root)));
      const all = [
        ...back,
        ...members.filter((m) => m !== faulty && m !== bystander && running.has(m.cluster)),
      ];
      const next = await leaderOf(all);
      const { index } = await next.cluster.propose(tag('after-recovery'));
      await Promise.all(all.map((m) => applied(m, index)));
      for (const m of all) {
        const tags = tagsOf(m);
        for (const t of [...acked, 'after-recovery']) expect(tags.has(t), `${m.id} has ${t}`).toBe(true);
        // Every member applied the same commands at the same indexes.
        expect(m.machine.applied.filter(([i]) => i <= index)).toEqual(
          all[0]!.machine.applied.filter(([i]) => i <= index),
        );
      }
    },
  );
});
