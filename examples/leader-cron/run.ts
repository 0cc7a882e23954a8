/**
 * The leader-cron example: three Baton members, each able to run two
 * periodic jobs that must run on one member at a time. "cleanup" follows
 * Raft leadership (runOnLeader, fenced by the term); "billing-cron" follows
 * the named election 'billing-cron' (Election, fenced by the win's token),
 * so it can run on another member. Both write to a journal that refuses
 * entries with an old fencing token. Then the Raft leader is killed (kill -9)
 * and cleanup moves; billing-cron's runner resigns and it moves at once.
 *
 * Run: pnpm --filter @baton/example-leader-cron start [-- --json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../shared/free-port.js';
import { Journal, type JournalEntry, serveJournal } from './journal.js';
import type { MemberConfig } from './member.js';

/** Print one JSON summary line instead of the story (for tests and scripts). */
const json = process.argv.includes('--json');
const IDS = ['n1', 'n2', 'n3'];
const EVERY_MS = 200;
const ELECTION_TTL_MS = 3000;
/** How long each phase lets the jobs tick. */
const PHASE_MS = 800;
const WAIT_MS = 60_000;

const t0 = Date.now();
function say(text: string): void {
  if (!json) console.log(`[${((Date.now() - t0) / 1000).toFixed(2).padStart(6)} s] ${text}`);
}

const dir = mkdtempSync(join(tmpdir(), 'baton-leader-cron-'));
const children = new Map<string, ChildProcess>();
function cleanup(): void {
  for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

interface MemberEvent {
  id: string;
  at: number;
  type: string;
  job?: string;
  fence?: number;
  ticks?: number;
  cause?: string;
}
const listeners = new Set<(e: MemberEvent) => void>();

function waitFor(pred: (e: MemberEvent) => boolean, what: string): Promise<MemberEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`timed out waiting for ${what}`));
    }, WAIT_MS);
    const listener = (e: MemberEvent) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve(e);
    };
    listeners.add(listener);
  });
}

listeners.add((e) => {
  if (e.type === 'job-start') say(`${e.id}: starts ${e.job} with fencing token ${e.fence}`);
  if (e.type === 'job-stop') say(`${e.id}: stops ${e.job} (token ${e.fence}, ${e.ticks} ticks; ${e.cause})`);
  if (e.type === 'refused') say(`${e.id}: the journal refused ${e.job} with stale token ${e.fence}`);
});

const journal = new Journal();
const server = await serveJournal(journal);
const secret = randomBytes(16).toString('hex');
const members: Record<string, string> = {};
for (const id of IDS) members[id] = `ws://127.0.0.1:${await freePort()}`;
say(`journal at ${server.url}; starting members ${IDS.join(', ')} (data in ${dir})`);

const isStart = (job: string, not?: string) => (e: MemberEvent) =>
  e.type === 'job-start' && e.job === job && e.id !== not;
const firstCleanup = waitFor(isStart('cleanup'), 'cleanup to start');

for (const id of IDS) {
  const config: MemberConfig = {
    id,
    members,
    dataDir: join(dir, id),
    secret,
    journalUrl: server.url,
    everyMs: EVERY_MS,
    electionTtlMs: ELECTION_TTL_MS,
  };
  const child = spawn(
    process.execPath,
    ['--conditions=@baton/source', '--import', 'tsx', join(import.meta.dirname, 'member.ts')],
    {
      env: { ...process.env, LEADER_CRON_MEMBER: JSON.stringify(config) },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.set(id, child);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: MemberEvent;
    try {
      event = JSON.parse(line) as MemberEvent;
    } catch {
      return;
    }
    for (const l of [...listeners]) l(event);
  });
}
const tell = (id: string, line: string) => children.get(id)!.stdin!.write(`${line}\n`);

// 1. cleanup starts on the Raft leader. The followers campaign for billing-cron, one first: it wins,
//    the other queues behind it. (The leader stays out: it is about to be killed, and a dead member's
//    candidacy would hold the queue up until its lease expired.)
const leader = (await firstCleanup).id;
const [first, second] = IDS.filter((id) => id !== leader) as [string, string];
const firstBilling = waitFor(isStart('billing-cron'), 'billing-cron to start');
tell(first, 'campaign');
const billingOn = (await firstBilling).id;
tell(second, 'campaign');
await sleep(PHASE_MS);

// 2. kill -9 the Raft leader: cleanup moves to the next leader, with a larger term.
say(`kill -9 ${leader} (the Raft leader, running cleanup)`);
const killedAt = Date.now();
const cleanupMoved = waitFor(isStart('cleanup', leader), 'cleanup to move');
children.get(leader)!.kill('SIGKILL');
const moved = await cleanupMoved;
const failoverMs = moved.at - killedAt;
say(`cleanup runs again on ${moved.id}, ${failoverMs} ms after the kill`);
await sleep(PHASE_MS);

// 3. billing-cron's runner resigns: the next candidate wins at once.
say(`${billingOn} resigns billing-cron`);
const resignedAt = Date.now();
const billingMoved = waitFor(isStart('billing-cron', billingOn), 'billing-cron to move');
tell(billingOn, 'resign');
const handedTo = await billingMoved;
const handOverMs = handedTo.at - resignedAt;
say(`billing-cron runs on ${handedTo.id}, ${handOverMs} ms after the resignation`);
await sleep(PHASE_MS);

/** Consecutive journal entries of one job by one runner (member and token). */
function runs(job: string): { member: string; fence: number; entries: number }[] {
  const out: { member: string; fence: number; entries: number }[] = [];
  for (const e of journal.entries.filter((x: JournalEntry) => x.job === job)) {
    const last = out.at(-1);
    if (last && last.member === e.member && last.fence === e.fence) last.entries++;
    else out.push({ member: e.member, fence: e.fence, entries: 1 });
  }
  return out;
}
const summary = {
  cleanup: runs('cleanup'),
  billing: runs('billing-cron'),
  refused: journal.refused,
  failoverMs,
  handOverMs,
  pids: [...children.values()].map((c) => c.pid),
  dir,
};
if (json) {
  console.log(JSON.stringify(summary));
} else {
  const show = (r: { member: string; fence: number; entries: number }[]) =>
    r.map((x) => `${x.member} (token ${x.fence}) ×${x.entries}`).join(' → ');
  say(`journal, cleanup:      ${show(summary.cleanup)}`);
  say(`journal, billing-cron: ${show(summary.billing)}`);
  say(
    `${journal.refused.length} stale entries refused; each job ran on one member at a time, tokens only grew.`,
  );
}
for (const child of children.values()) child.stdin?.end();
await server.close();
process.exit(0);
