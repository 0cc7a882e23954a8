/**
 * The Baton demo: three member processes on this machine form a cluster and
 * run what an application would (member.ts): a job only the leader runs, a
 * worker on every member taking the lock 'invoice-42' (with its fencing
 * token), and a named election. The demo kills the leader (kill -9) and
 * measures the failover, restarts it from its data directory, and stops a
 * member gracefully (it hands leadership over first). At the end it checks
 * that the fencing tokens only grew and that the job never ran on two
 * members at once, then removes every process and file it made.
 *
 * Run: pnpm demo            (add --keep to keep the cluster running until Ctrl-C)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../shared/free-port.js';

interface MemberEvent {
  id: string;
  at: number;
  type: string;
  [key: string]: unknown;
}

const ids = ['n1', 'n2', 'n3'];
const dir = mkdtempSync(join(tmpdir(), 'baton-demo-'));
const secret = randomBytes(16).toString('hex');
const children = new Map<string, ChildProcess>();
const listeners = new Set<(e: MemberEvent) => void>();
const t0 = Date.now();

function say(text: string): void {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(2).padStart(6)} s] ${text}`);
}

function startMember(id: string, members: Record<string, string>): void {
  const child = spawn(
    process.execPath,
    ['--conditions=@baton/source', '--import', 'tsx', join(import.meta.dirname, 'member.ts')],
    {
      env: {
        ...process.env,
        BATON_DEMO_MEMBER: JSON.stringify({ id, members, dataDir: join(dir, id), secret }),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
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
    for (const l of listeners) l(event);
  });
}

function waitFor(pred: (e: MemberEvent) => boolean, what: string, timeoutMs = 15_000): Promise<MemberEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const listener = (e: MemberEvent) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve(e);
    };
    listeners.add(listener);
  });
}

function cleanup(): void {
  for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const keep = process.argv.includes('--keep');
/** Every lock grant reported, in arrival order (grants are exclusive, so this is grant order). */
const grants: { id: string; fencingToken: number }[] = [];
/** The leader-only job's runs: member, term, start and end (Date.now of the member). */
const jobRuns: { id: string; term: number; start: number; end: number | undefined }[] = [];
let lastTick = 0;
/** Each member's status page, by id (the newest start's). */
const statusPages = new Map<string, string>();

listeners.add((e) => {
  if (e.type === 'started') {
    statusPages.set(e.id, `http://127.0.0.1:${e.statusPort}/`);
    say(`${e.id} started (pid ${e.pid}, status page ${statusPages.get(e.id)})`);
  }
  if (e.type === 'leading') say(`${e.id} now holds the leadership token (term ${e.term})`);
  if (e.type === 'lost') say(`${e.id} lost its leadership token (term ${e.term}, cause: ${e.cause})`);
  if (e.type === 'job-start') {
    jobRuns.push({ id: e.id, term: e.term as number, start: e.at, end: undefined });
    say(`${e.id} starts the leader-only job (term ${e.term})`);
  }
  if (e.type === 'job-stop') {
    const run = jobRuns.findLast((r) => r.id === e.id && r.end === undefined);
    if (run) run.end = e.at;
    say(`${e.id} stops the leader-only job (its leadership ended)`);
  }
  if (e.type === 'job-tick' && e.at - lastTick > 2000) {
    lastTick = e.at;
    say(`  job tick ${e.tick} on ${e.id} (term ${e.term})`);
  }
  if (e.type === 'lock') {
    grants.push({ id: e.id, fencingToken: e.fencingToken as number });
    say(`  ${e.id} holds lock invoice-42, fencing token ${e.fencingToken}`);
  }
  if (e.type === 'lock-error') say(`  ${e.id}: lock attempt failed (${e.code})`);
  if (e.type === 'elected') say(`  ${e.id} won the election billing-cron (token ${e.fencingToken})`);
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

const members: Record<string, string> = {};
for (const id of ids) members[id] = `ws://127.0.0.1:${await freePort()}`;
say(`starting ${ids.length} members: ${ids.map((id) => `${id} at ${members[id]}`).join(', ')}`);
say(`data in ${dir}`);
const started = Promise.all(
  ids.map((id) => waitFor((e) => e.type === 'started' && e.id === id, `${id} to start`)),
);
const firstLeader = waitFor((e) => e.type === 'leading', 'a leader');
for (const id of ids) startMember(id, members);
await started;
const first = await firstLeader;
say(`elected: ${first.id} leads term ${first.term}`);

await pause(3000);
say(`kill -9 ${first.id} (the leader)`);
const killedAt = Date.now();
const nextLeader = waitFor((e) => e.type === 'leading' && e.id !== first.id, 'a new leader');
children.get(first.id)!.kill('SIGKILL');
// A killed member reports nothing more: its job run ended with it.
for (const run of jobRuns) if (run.id === first.id && run.end === undefined) run.end = killedAt;
const second = await nextLeader;
say(`failover: ${second.id} leads term ${second.term}, ${second.at - killedAt} ms after the kill`);
await pause(2000);

say(`restarting ${first.id} from its data directory`);
const rejoined = waitFor(
  (e) => e.type === 'leader' && e.id === first.id && e.leaderId === second.id,
  'rejoin',
);
startMember(first.id, members);
await rejoined;
say(`${first.id} is back as a follower of ${second.id}`);
await pause(2000);

say(`graceful stop of ${second.id}: it hands leadership over before leaving`);
const handedTo = waitFor((e) => e.type === 'leading' && e.id !== second.id, 'hand-over');
const stoppedAt = Date.now();
children.get(second.id)!.kill('SIGTERM');
const third = await handedTo;
say(`hand-over: ${third.id} leads term ${third.term}, ${third.at - stoppedAt} ms after the stop request`);
await pause(2000);

const grew = grants.every((g, i) => i === 0 || g.fencingToken > grants[i - 1]!.fencingToken);
say(
  `${grants.length} grants of invoice-42 on ${new Set(grants.map((g) => g.id)).size} members; fencing tokens only grew: ${grew ? 'yes' : 'NO'}`,
);
const overlapping = jobRuns.some((a, i) =>
  jobRuns.some(
    (b, j) => j > i && a.id !== b.id && a.start < (b.end ?? Infinity) && b.start < (a.end ?? Infinity),
  ),
);
say(
  `the leader-only job ran ${jobRuns.length} times on ${new Set(jobRuns.map((r) => r.id)).size} members, never two at once: ${overlapping ? 'NO' : 'yes'}`,
);
if (keep) {
  say('--keep: the cluster keeps running; Ctrl-C stops every member and removes its data');
  for (const [id, url] of statusPages)
    if (children.get(id)?.exitCode === null) say(`  ${id}: status page ${url}`);
  await new Promise(() => {});
}
say('demo done; stopping every member');
await stopAll();
process.exit(grew && !overlapping ? 0 : 1);

/** SIGTERM every member, and SIGKILL any still running after 5 s. */
async function stopAll(): Promise<void> {
  const running = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = running.map((c) => new Promise((resolve) => c.once('exit', resolve)));
  for (const c of running) c.kill('SIGTERM');
  await Promise.race([Promise.all(exited), pause(5000)]);
}
