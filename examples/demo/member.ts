/**
 * One demo member: a Baton cluster member in its own process, running what
 * an application would — a job only the leader runs (runOnLeader), a worker
 * that takes the lock 'invoice-42' now and then (its fencing token guards
 * the write), and a candidate in the named election 'billing-cron'. It
 * reports what happens as JSON lines on stdout for demo.ts to narrate.
 */
import { Cluster, isBatonError } from '@baton/core';
import { Election, runOnLeader } from '@baton/election';
import { Locks } from '@baton/lock';
import { pino } from 'pino';

const config = JSON.parse(process.env.BATON_DEMO_MEMBER ?? '{}') as {
  id: string;
  members: Record<string, string>;
  dataDir: string;
  secret: string;
};

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ id: config.id, at: Date.now(), ...event })}\n`);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

const cluster = await Cluster.start({
  ...config,
  logger: pino({ level: process.env.BATON_DEMO_LOG ?? 'warn' }),
  status: { port: 0 }, // a status page on a free loopback port
});
report({ type: 'started', port: cluster.port, pid: process.pid, statusPort: cluster.statusPort });
cluster.on('leader', (leaderId, term) => report({ type: 'leader', leaderId, term }));
const stopping = new AbortController();

// Only the leader runs this job; its token's signal says when to stop.
const job = runOnLeader(cluster, async (token) => {
  report({ type: 'job-start', term: token.term });
  for (let tick = 1; !token.signal.aborted; tick++) {
    if (token.valid) report({ type: 'job-tick', term: token.term, tick });
    await sleep(700, token.signal);
  }
  report({ type: 'job-stop', term: token.term });
});

// A worker on every member: the lock 'invoice-42' guards a write, fenced by the token.
const locks = new Locks(cluster, { ttlMs: 3000 });
async function lockWorker(): Promise<void> {
  while (!stopping.signal.aborted) {
    await sleep(300 + Math.random() * 900, stopping.signal);
    try {
      await locks.withLock(
        'invoice-42',
        async (held) => {
          report({ type: 'lock', fencingToken: held.fencingToken });
          await sleep(150, held.signal);
        },
        { waitMs: 4000, signal: stopping.signal },
      );
    } catch (e) {
      if (!stopping.signal.aborted)
        report({ type: 'lock-error', code: isBatonError(e) ? e.code : String(e) });
    }
  }
}
const worker = lockWorker();

// Every member campaigns to run 'billing-cron'; any member may win it, whoever leads Raft.
const election = new Election(cluster, 'billing-cron', { ttlMs: 3000 });
async function campaign(): Promise<void> {
  while (!stopping.signal.aborted) {
    try {
      const won = await election.campaign({ signal: stopping.signal, value: config.id });
      report({ type: 'elected', name: 'billing-cron', fencingToken: won.fencingToken });
      await sleep(2500, AbortSignal.any([won.signal, stopping.signal]));
      await won.resign(); // hand it on, to show the queue moving
    } catch (e) {
      if (!stopping.signal.aborted)
        report({ type: 'election-error', code: isBatonError(e) ? e.code : String(e) });
      await sleep(500, stopping.signal);
    }
  }
}
const campaigning = campaign();

process.on('SIGTERM', () => {
  stopping.abort();
  void (async () => {
    await job.stop();
    await Promise.allSettled([worker, campaigning]);
    await election.close();
    await locks.close();
    await cluster.stop();
    process.exit(0);
  })();
});

for (;;) {
  try {
    const token = await cluster.leadership();
    report({ type: 'leading', term: token.term });
    await new Promise((resolve) => token.signal.addEventListener('abort', resolve, { once: true }));
    const reason = token.signal.reason as { cause?: unknown };
    report({ type: 'lost', term: token.term, cause: String(reason.cause) });
  } catch (e) {
    if (isBatonError(e, 'BATON_STOPPED')) break;
    throw e;
  }
}
