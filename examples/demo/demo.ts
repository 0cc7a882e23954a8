/**
 * The Baton demo: three member processes on this machine form a cluster,
 * elect a leader, survive the leader being killed (kill -9), take the killed
 * member back, and hand leadership over on a graceful stop.
 *
 * Run: pnpm demo
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

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

async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
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

listeners.add((e) => {
  if (e.type === 'leading') say(`${e.id} now holds the leadership token (term ${e.term})`);
  if (e.type === 'lost') say(`${e.id} lost its leadership token (term ${e.term}, cause: ${e.cause})`);
});

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

await new Promise((r) => setTimeout(r, 1000));
say(`kill -9 ${first.id} (the leader)`);
const killedAt = Date.now();
const nextLeader = waitFor((e) => e.type === 'leading' && e.id !== first.id, 'a new leader');
children.get(first.id)!.kill('SIGKILL');
const second = await nextLeader;
say(`failover: ${second.id} leads term ${second.term}, ${second.at - killedAt} ms after the kill`);

say(`restarting ${first.id} from its data directory`);
const rejoined = waitFor(
  (e) => e.type === 'leader' && e.id === first.id && e.leaderId === second.id,
  'rejoin',
);
startMember(first.id, members);
await rejoined;
say(`${first.id} is back as a follower of ${second.id}`);

say(`graceful stop of ${second.id}: it hands leadership over before leaving`);
const handedTo = waitFor((e) => e.type === 'leading' && e.id !== second.id, 'hand-over');
const stoppedAt = Date.now();
children.get(second.id)!.kill('SIGTERM');
const third = await handedTo;
say(`hand-over: ${third.id} leads term ${third.term}, ${third.at - stoppedAt} ms after the stop request`);

say('demo done; stopping every member');
for (const child of children.values()) if (child.exitCode === null) child.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 500));
process.exit(0);
