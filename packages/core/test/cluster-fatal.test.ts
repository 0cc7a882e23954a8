import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster.js';
import { silentLogger } from '../src/env.js';
import type { BatonError } from '../src/errors.js';
import type { Entry } from '../src/raft/types.js';
import { CountingStateMachine } from '../src/runtime/state-machine.js';
import type { LogStorage, PersistBatch } from '../src/storage/log-storage.js';
import { MemoryStorage } from '../src/storage/memory-storage.js';
import { plainCommand } from './support/commands.js';

/** Memory storage whose disk fails once `failWhen` says so. */
function failingStorage(failWhen: (batch: PersistBatch) => boolean): LogStorage & { persists: number } {
  const inner = new MemoryStorage();
  const storage = {
    persists: 0,
    load: () => inner.load(),
    persist: async (batch: PersistBatch) => {
      storage.persists++;
      if (failWhen(batch)) throw new Error('EIO: the disk went away');
      await inner.persist(batch);
    },
    saveSnapshot: (s: Parameters<LogStorage['saveSnapshot']>[0]) => inner.saveSnapshot(s),
    close: () => inner.close(),
  };
  return storage;
}

async function startSolo(storage: LogStorage): Promise<Cluster> {
  return await Cluster.start(
    {
      id: 'n1',
      members: { n1: 'ws://127.0.0.1:1' },
      listen: { port: 0 },
      dataDir: ':memory:',
      insecure: true,
      logger: silentLogger,
    },
    { storage },
  );
}

describe('a member whose storage fails', () => {
  it("emits 'error', stops, and fails every call with BATON_STOPPED", async () => {
    // The first write of a term (its campaign's vote) fails.
    const storage = failingStorage((batch) => (batch.hardState?.term ?? 0) > 0);
    const cluster = await startSolo(storage);
    const failed = new Promise<unknown>((resolve) => cluster.once('error', resolve));
    const waiting = cluster.leadership();
    const error = (await failed) as BatonError;
    expect(error.code).toBe('BATON_STOPPED');
    expect(String((error.cause as Error).message)).toContain('EIO');
    await expect(waiting).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    await expect(cluster.propose(new Uint8Array(1))).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    const persists = storage.persists;
    await cluster.stop();
    // Nothing was written after the failure: a member whose disk failed vouches for nothing.
    expect(storage.persists).toBe(persists);
  });
});

/** A loopback port that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('a member that fails before Cluster.start returns', () => {
  it('rejects the start and leaves nothing behind: the port is free and storage closed', async () => {
    // Committed entries on disk are applied in the first drain, right after recovery: make that fail.
    const inner = new MemoryStorage();
    const entry: Entry = { type: 'command', term: 1, index: 1, data: plainCommand(new Uint8Array([1])) };
    await inner.persist({ entries: [entry], hardState: { term: 1, vote: 'n1', commit: 1 }, sync: true });
    let closed = false;
    const storage: LogStorage = {
      load: () => inner.load(),
      persist: (b) => inner.persist(b),
      saveSnapshot: (snap) => inner.saveSnapshot(snap),
      close: async () => {
        closed = true;
        await inner.close();
      },
    };
    const broken = new CountingStateMachine();
    broken.apply = () => {
      throw new Error('state machine bug');
    };
    const port = await freePort();
    const options = {
      id: 'n1',
      members: { n1: `ws://127.0.0.1:${port}` },
      dataDir: ':memory:',
      insecure: true,
      logger: silentLogger,
    };
    await expect(Cluster.start(options, { storage, stateMachine: broken })).rejects.toThrow(
      'state machine bug',
    );
    expect(closed).toBe(true);
    const again = await Cluster.start(options); // the same port: the failed start closed its listener
    expect((await again.leadership()).valid).toBe(true);
    await again.stop();
  });
});

describe('a leader whose storage fails, in a three-member cluster', () => {
  it('stops without waiting for a hand-over it can no longer send', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const ports = [await freePort(), await freePort(), await freePort()];
    const members = Object.fromEntries(ids.map((id, i) => [id, `ws://127.0.0.1:${ports[i]}`]));
    const broken = new Set<string>();
    const clusters = await Promise.all(
      ids.map((id) =>
        Cluster.start(
          {
            id,
            members,
            dataDir: ':memory:',
            insecure: true,
            logger: silentLogger,
            heartbeatMs: 100,
            electionTimeoutMs: [3000, 4000],
          },
          { storage: failingStorage(() => broken.has(id)) },
        ),
      ),
    );
    try {
      await Promise.race(clusters.map((c) => c.leadership()));
      const leader = clusters.find((c) => c.role === 'leader')!;
      const failed = new Promise((resolve) => leader.once('error', resolve));
      broken.add(leader.id);
      await expect(leader.propose(new Uint8Array(1))).rejects.toMatchObject({ code: 'BATON_STOPPED' });
      await failed;
      const t0 = performance.now();
      await leader.stop();
      // The hand-over would wait electionTimeoutMs[1] (4 s) for a new leader that its TimeoutNow never made.
      expect(performance.now() - t0).toBeLessThan(2000);
    } finally {
      await Promise.all(clusters.map((c) => c.stop()));
    }
  });
});
