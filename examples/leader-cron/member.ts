/**
 * One member of the leader-cron example: a Baton cluster member running two
 * periodic jobs, each on exactly one member at a time.
 *
 * - "cleanup" runs wherever Raft leadership is (runOnLeader); the Raft term
 *   is its fencing token.
 * - "billing-cron" runs on whoever wins the named election 'billing-cron' —
 *   any member, independently of Raft leadership; the win's fencingToken is
 *   its fencing token. A member campaigns once run.ts says so (stdin).
 *
 * Each tick writes an entry to the journal with the job's fencing token. It
 * reports what it does as JSON lines on stdout for run.ts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, isBatonError } from '@baton/core';
import { Election, runOnLeader } from '@baton/election';
import { destination, pino } from 'pino';
import { appendEntry } from './journal.js';

export interface MemberConfig {
  id: string;
  members: Record<string, string>;
  dataDir: string;
  secret: string;
  journalUrl: string;
  /** How often each job ticks. */
  everyMs: number;
  /** TTL of the billing-cron candidacy: a winner cut off loses it after this long. */
  electionTtlMs: number;
}

const config = JSON.parse(process.env.LEADER_CRON_MEMBER ?? '{}') as MemberConfig;
const logger = pino({ level: process.env.BATON_EXAMPLE_LOG ?? 'error' }, destination(2));

function report(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ id: config.id, at: Date.now(), ...event })}\n`);
}

/** Ticks until `signal` aborts, writing one journal entry per tick while `valid()` holds. */
async function tick(job: string, fence: number, signal: AbortSignal, valid: () => boolean): Promise<void> {
  report({ type: 'job-start', job, fence });
  let ticks = 0;
  while (!signal.aborted) {
    // Check right before acting; the journal's fence check covers a pause after the check.
    if (valid()) {
      if (await appendEntry(config.journalUrl, job, fence, config.id)) ticks++;
      else report({ type: 'refused', job, fence });
    }
    await sleep(config.everyMs, undefined, { signal }).catch(() => {});
  }
  const reason = signal.reason as { cause?: unknown } | undefined;
  report({ type: 'job-stop', job, fence, ticks, cause: String(reason?.cause ?? 'stopped') });
}

const cluster = await Cluster.start({
  id: config.id,
  members: config.members,
  dataDir: config.dataDir,
  secret: config.secret,
  logger,
});
report({ type: 'started' });

const cleanup = runOnLeader(
  cluster,
  (token) => tick('cleanup', token.term, token.signal, () => token.valid),
  {
    logger,
  },
);

const billing = new Election(cluster, 'billing-cron', { ttlMs: config.electionTtlMs });
async function campaignForever(): Promise<void> {
  for (;;) {
    try {
      const won = await billing.campaign({ value: config.id });
      await tick('billing-cron', won.fencingToken, won.signal, () => won.valid);
    } catch (error) {
      if (isBatonError(error, 'BATON_STOPPED')) return;
      logger.warn({ err: error }, 'campaign failed; trying again');
      await sleep(config.everyMs);
    }
  }
}

// run.ts holds our stdin: 'campaign' starts the campaign, 'resign' steps down; when stdin closes, we leave.
process.stdin.setEncoding('utf8');
process.stdin.on('data', (text: string) => {
  if (text.includes('campaign')) void campaignForever();
  if (text.includes('resign')) void billing.resign(); // the next candidate wins at once; we queue again
});
process.stdin.on('end', () => process.exit(0));
// A graceful stop: resign (the next candidate wins at once), stop the job, hand Raft leadership over.
process.on('SIGTERM', () => {
  void (async () => {
    await billing.close();
    await cleanup.stop();
    await cluster.stop();
    process.exit(0);
  })();
});
