/**
 * The fenced-store example: three Baton members, each with two workers that
 * add 1 to a balance kept in a store (run by this process, reached over
 * HTTP) under withLock('balance'). One worker freezes its process for a
 * while right after checking it still holds the lock; its lock expires,
 * the others carry on, and when it wakes its write carries an old fencing
 * token — which the store refuses. With --unfenced the store takes that
 * late write, and the increments made during the pause are lost.
 *
 * Run: pnpm --filter @baton/example-fenced-store start [-- --unfenced] [-- --json]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../shared/free-port.js';
import { type AcceptedWrite, FencedStore, type StaleFenceError } from './fenced-store.js';
import type { MemberConfig } from './member.js';
import { serveStore } from './store-http.js';

const args = new Set(process.argv.slice(2));
const fenced = !args.has('--unfenced');
/** Print one JSON summary line instead of the story (for tests and scripts). */
const json = args.has('--json');

const IDS = ['n1', 'n2', 'n3'];
const WORKERS = 2;
const INCREMENTS = 8;
/** The lock's lease: a holder cut off (or frozen) loses the lock after this long. */
const TTL_MS = 1000;
/** How long n1 freezes: well past the TTL, so the lock moves on meanwhile. */
const PAUSE_MS = 2000;
const DONE_WITHIN_MS = 120_000;

const t0 = Date.now();
function say(text: string): void {
  if (!json) console.log(`[${((Date.now() - t0) / 1000).toFixed(2).padStart(6)} s] ${text}`);
}

const dir = mkdtempSync(join(tmpdir(), 'baton-fenced-store-'));
const children = new Map<string, ChildProcess>();
function cleanup(): void {
  for (const child of children.values()) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const refused: { error: StaleFenceError; op: string }[] = [];
const lateWrites: AcceptedWrite[] = [];
const store = new FencedStore({
  fenced,
  onRefused: (error, op) => {
    refused.push({ error, op });
    say(`store: REFUSED a ${op} with token ${error.fence}, older than token ${error.highest} it has seen`);
  },
  onWrite: (write) => {
    if (!write.stale) return;
    lateWrites.push(write);
    say(`store: took a LATE write with token ${write.fence}: balance ${write.from} -> ${write.to}`);
  },
});
const server = await serveStore(store);

const secret = randomBytes(16).toString('hex');
const members: Record<string, string> = {};
for (const id of IDS) members[id] = `ws://127.0.0.1:${await freePort()}`;
say(`store at ${server.url} (fencing ${fenced ? 'ON' : 'OFF'}); starting members ${IDS.join(', ')}`);

const done = new Set<string>();
let allDone: () => void = () => {};
const finished = new Promise<void>((resolve) => {
  allDone = resolve;
});

/** The member frozen right now, if any. */
let frozen: string | undefined;
let writesWhileFrozen = 0;

function onEvent(e: Record<string, unknown>): void {
  const who = `${e.id} worker ${e.worker}`;
  if (e.type === 'pause') {
    frozen = String(e.id);
    say(
      `${who}: read balance ${e.balance} with token ${e.token}, checked held.valid (true) — and freezes for ${e.ms} ms`,
    );
  } else if (e.type === 'woke') {
    frozen = undefined;
    say(
      `${who}: wakes up (held.valid is now ${e.valid}) and writes balance from before the pause, token ${e.token}`,
    );
  } else if (e.type === 'refused') {
    say(`${who}: its write was refused (token ${e.fence} < ${e.highest}); takes the lock again and retries`);
  } else if (e.type === 'wrote' && frozen !== undefined && e.id !== frozen) {
    // What the others do while one member is frozen: the first two writes are enough to see it.
    if (++writesWhileFrozen <= 2)
      say(`${who}: holds the lock with token ${e.token}, writes balance ${e.balance}`);
  } else if (e.type === 'done') {
    done.add(String(e.id));
    if (done.size === IDS.length) allDone();
  }
}

for (const id of IDS) {
  // Each member gets its config in the environment; it reports on stdout, one JSON object a line.
  const config: MemberConfig = {
    id,
    members,
    dataDir: join(dir, id),
    secret,
    storeUrl: server.url,
    ttlMs: TTL_MS,
    workers: WORKERS,
    increments: INCREMENTS,
    pauseMs: id === 'n1' ? PAUSE_MS : 0,
  };
  children.set(
    id,
    spawn(
      process.execPath,
      ['--conditions=@baton/source', '--import', 'tsx', join(import.meta.dirname, 'member.ts')],
      {
        env: { ...process.env, FENCED_STORE_MEMBER: JSON.stringify(config) },
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    ),
  );
  createInterface({ input: children.get(id)!.stdout! }).on('line', (line) => {
    try {
      onEvent(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not an event
    }
  });
}

const timer = setTimeout(() => {
  console.error(`not done within ${DONE_WITHIN_MS} ms`);
  process.exit(1);
}, DONE_WITHIN_MS);
await finished;
clearTimeout(timer);

const expected = IDS.length * WORKERS * INCREMENTS;
const balance = store.peek('balance');
const summary = {
  fenced,
  expected,
  balance,
  lost: expected - balance,
  refused: refused.map((r) => ({ op: r.op, fence: r.error.fence, highest: r.error.highest })),
  lateWrites: lateWrites.map((w) => ({ fence: w.fence, from: w.from, to: w.to })),
  /** For a test to check that nothing is left behind. */
  pids: [...children.values()].map((c) => c.pid),
  dir,
};
if (json) {
  console.log(JSON.stringify(summary));
} else {
  say(`all workers done: ${expected} increments made, balance is ${balance}`);
  if (fenced) {
    say(`the store refused ${refused.length} late write(s): no increment lost.`);
    say('run again with --unfenced to see what the fencing token prevented.');
  } else {
    say(`the store took ${lateWrites.length} late write(s): ${expected - balance} increment(s) LOST.`);
    say('the frozen worker believed it held the lock; only the store could tell it did not.');
  }
}
for (const child of children.values()) child.stdin?.end();
await server.close();
process.exit(0);
