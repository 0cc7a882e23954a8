import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import {
  acquireLock,
  generationsIn,
  type Liveness,
  type LockOps,
  lockSocketName,
} from '../../src/storage/lock-protocol.js';

/**
 * The lock protocol against a model of the directory and the kernel: names
 * point at sockets, a socket is live while its process runs and has not
 * closed it, and every operation is one atomic step. A seeded scheduler
 * interleaves the steps of competing processes in every order it draws, with
 * holders that release or crash; no clock and no timer is involved.
 */
interface ModelSocket {
  readonly owner: number;
  open: boolean;
}

class World {
  readonly names = new Map<string, ModelSocket>();
  readonly crashed = new Set<number>();
  /** Steps waiting to run: each resolves one operation of one process. */
  readonly pending: { readonly process: number; readonly run: () => void }[] = [];

  isLive(socket: ModelSocket): boolean {
    return socket.open && !this.crashed.has(socket.owner);
  }

  /** An operation of `process` that takes effect (atomically) when the scheduler picks it. */
  step<T>(process: number, effect: () => T): Promise<T> {
    return new Promise((resolve) => {
      this.pending.push({ process, run: () => resolve(effect()) });
    });
  }

  opsFor(process: number): LockOps {
    const own = new Map<string, ModelSocket>();
    return {
      list: () => this.step(process, () => [...this.names.keys()]),
      probe: (name) =>
        this.step(process, (): Liveness => {
          const socket = this.names.get(name);
          if (socket === undefined) return 'gone';
          return this.isLive(socket) ? 'live' : 'dead';
        }),
      publish: (name) =>
        this.step(process, () => {
          if (this.names.has(name)) return false;
          const socket = { owner: process, open: true };
          this.names.set(name, socket);
          own.set(name, socket);
          return true;
        }),
      withdraw: async (name) => {
        const socket = own.get(name);
        own.delete(name);
        await this.step(process, () => {
          if (this.names.get(name) === socket) this.names.delete(name);
        });
        await this.step(process, () => {
          if (socket !== undefined) socket.open = false;
        });
      },
      remove: (name) =>
        this.step(process, () => {
          this.names.delete(name);
        }),
    };
  }
}

/** Lets every promise continuation run, so that each process reaches its next step. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/**
 * Runs `processes` competitors from `seed`: each acquires, holds for a few
 * steps if granted, then releases or crashes, and tries again. Returns how
 * many grants there were; throws if two processes ever hold at once.
 */
async function runSeed(seed: number, processes: number, attemptsEach: number): Promise<number> {
  const rng = Rng.fromSeed(seed);
  const world = new World();
  // A directory some earlier holders left behind: dead generations, maybe a gap.
  for (const g of [1, 2, 4].slice(0, rng.int(0, 3)))
    world.names.set(lockSocketName(g), { owner: -g, open: false });
  const holders = new Set<number>();
  let grants = 0;
  const runProcess = async (id: number): Promise<void> => {
    for (let attempt = 0; attempt < attemptsEach; attempt++) {
      const ops = world.opsFor(id * 100 + attempt);
      const outcome = await acquireLock(ops);
      if (outcome.status !== 'held') continue;
      holders.add(id);
      grants++;
      if (holders.size > 1)
        throw new Error(`seed ${seed}: ${[...holders].join(' and ')} hold the lock at once`);
      for (let i = rng.int(0, 6); i > 0; i--) await world.step(id, () => {});
      holders.delete(id);
      if (rng.float() < 0.5) world.crashed.add(id * 100 + attempt);
      else await ops.withdraw(outcome.name);
    }
  };
  const done = Promise.all(Array.from({ length: processes }, (_, i) => runProcess(i + 1)));
  let finished = false;
  void done.then(
    () => {
      finished = true;
    },
    () => {
      finished = true;
    },
  );
  for (let steps = 0; !finished; steps++) {
    await settle();
    if (world.pending.length === 0) continue;
    if (steps > 100_000) throw new Error(`seed ${seed}: no end`);
    const [next] = world.pending.splice(rng.int(0, world.pending.length - 1), 1);
    next?.run();
  }
  await done;
  return grants;
}

describe('dataDir lock protocol', () => {
  it('names generations and finds them among other files', () => {
    expect(lockSocketName(7)).toBe('LOCK-7.sock');
    expect(generationsIn(['LOCK-10.sock', 'wal', 'LOCK-9.sock', 'LOCK.owner', 'LOCK-x.sock'])).toEqual([
      9, 10,
    ]);
  });

  it('a lone process takes a fresh directory, and one its dead predecessors left', async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) expect(await runSeed(seed, 1, 1)).toBe(1);
  });

  it('never grants the lock to two processes at once, in any interleaving drawn (2 and 3 competitors)', async () => {
    let grants = 0;
    for (let seed = 1; seed <= 1500; seed++) grants += await runSeed(seed, 2 + (seed % 2), 3);
    // Refusals are expected while another holds; grants must still be common.
    expect(grants).toBeGreaterThan(1500);
  });

  it('refuses while a live process holds the lock and grants it once that process is gone', async () => {
    const world = new World();
    const drive = async <T>(promise: Promise<T>): Promise<T> => {
      let result: { value: T } | undefined;
      void promise.then((value) => {
        result = { value };
      });
      while (result === undefined) {
        await settle();
        world.pending.shift()?.run();
      }
      return result.value;
    };
    const first = await drive(acquireLock(world.opsFor(1)));
    expect(first).toEqual({ status: 'held', name: 'LOCK-1.sock' });
    expect(await drive(acquireLock(world.opsFor(2)))).toEqual({ status: 'in-use', name: 'LOCK-1.sock' });
    world.crashed.add(1);
    expect(await drive(acquireLock(world.opsFor(3)))).toEqual({ status: 'held', name: 'LOCK-2.sock' });
    // The dead generation was cleared by the new holder.
    expect([...world.names.keys()]).toEqual(['LOCK-2.sock']);
  });
});
