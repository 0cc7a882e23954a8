/**
 * One member of the fenced-store example: a Baton cluster member whose
 * workers add 1 to the balance kept in the store, each time under
 * withLock('balance'), handing the lock's fencing token to the store with
 * the read and with the write. It reports what it does as JSON lines on
 * stdout for run.ts.
 *
 * One worker can be told to freeze its whole process (`pauseMs`) between
 * checking that it still holds the lock and writing — a stop-the-world GC
 * pause, a VM migrating, a laptop lid closed. Its lease expires meanwhile,
 * another member takes the lock and moves the balance on, and when the
 * frozen worker wakes up its write is late.
 */
import { Cluster, isBatonError } from '@baton/core';
import { Locks } from '@baton/lock';
import { destination, pino } from 'pino';
import { StaleFenceError } from './fenced-store.js';
import { StoreClient } from './store-http.js';

export interface MemberConfig {
  id: string;
  members: Record<string, string>;
  dataDir: string;
  secret: string;
  storeUrl: string;
  ttlMs: number;
  workers: number;
  increments: number;
  /** Freeze the process this long, once, in worker 0's third critical section (0: never). */
  pauseMs: number;
}

const config = JSON.parse(process.env.FENCED_STORE_MEMBER ?? '{}') as MemberConfig;

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ id: config.id, at: Date.now(), ...event })}\n`);
}

/** Blocks this whole process, event loop included, like a long garbage-collection pause. */
function freeze(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

const cluster = await Cluster.start({
  id: config.id,
  members: config.members,
  dataDir: config.dataDir,
  secret: config.secret,
  // Quiet for the story: a frozen member makes its peers warn about a dropped link.
  logger: pino({ level: process.env.BATON_EXAMPLE_LOG ?? 'error' }, destination(2)),
});
// run.ts holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => void cluster.stop().then(() => process.exit(0)));
report({ type: 'started' });

const locks = new Locks(cluster, { ttlMs: config.ttlMs });
const store = new StoreClient(config.storeUrl);

async function worker(index: number): Promise<void> {
  let done = 0;
  let sections = 0;
  while (done < config.increments) {
    try {
      await locks.withLock(
        'balance',
        async (held) => {
          const token = held.fencingToken;
          const balance = await store.read('balance', token);
          if (!held.valid) return; // lost it already: do not write
          if (index === 0 && ++sections === 3 && config.pauseMs > 0) {
            report({ type: 'pause', worker: index, token, balance, ms: config.pauseMs });
            freeze(config.pauseMs); // checked valid just before: the pause comes after the check
            report({ type: 'woke', worker: index, token, valid: held.valid });
          }
          await store.write('balance', balance + 1, token);
          done++;
          report({ type: 'wrote', worker: index, token, balance: balance + 1 });
        },
        { waitMs: 30_000 },
      );
    } catch (error) {
      if (error instanceof StaleFenceError) {
        report({ type: 'refused', worker: index, fence: error.fence, highest: error.highest });
      } else if (!isBatonError(error, 'BATON_LOCK_LOST')) {
        // BATON_LOCK_LOST: the lock was lost while we held it (we were paused). What we wrote
        // (if the store took it) counted; otherwise the loop tries again.
        throw error;
      }
    }
  }
}

await Promise.all(Array.from({ length: config.workers }, (_, i) => worker(i)));
report({ type: 'done' });
