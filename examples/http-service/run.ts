/**
 * Runs the service as 3 instances (3 processes, one Baton cluster) and
 * shows the locks and their fencing at work:
 * 1. load: concurrent deposits sent to every instance; each takes the
 *    account's lock, so the final balance equals the deposits acknowledged;
 * 2. fencing: an instance is frozen (SIGSTOP) inside its critical section
 *    until its lease runs out; another instance gets the lock and deposits;
 *    when the frozen one resumes, its late write is refused (stale token)
 *    instead of overwriting the newer balance;
 * 3. the scheduler ran on the leader only.
 * Everything it starts is stopped and removed at the end.
 *
 * Run: pnpm --filter @baton/example-http-service start   [--requests 300]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { freePort } from '../shared/free-port.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' } } });
const requests = Number(values.requests);
const dir = mkdtempSync(join(tmpdir(), 'baton-http-service-'));
const ids = ['n1', 'n2', 'n3'];
const children = new Map<string, ChildProcess>();
process.on('exit', () => {
  for (const c of children.values()) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

function call(
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      let text = '';
      res.on('data', (c) => {
        text += String(c);
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const members: Record<string, string> = {};
const httpPorts: Record<string, number> = {};
for (const id of ids) {
  members[id] = `ws://127.0.0.1:${await freePort()}`;
  httpPorts[id] = await freePort();
}
const secret = randomBytes(16).toString('hex');
await Promise.all(
  ids.map(
    (id) =>
      new Promise<void>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'service.ts')], {
          env: {
            ...process.env,
            BATON_SERVICE: JSON.stringify({ id, members, httpPort: httpPorts[id], dir, secret }),
          },
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.set(id, child);
        createInterface({ input: child.stdout! }).on('line', (line) => {
          if (line.includes('"ready"')) resolve();
        });
      }),
  ),
);
console.log(`3 instances up: ${ids.map((id) => `${id} http://127.0.0.1:${httpPorts[id]}`).join(', ')}`);

// 1. Load: deposits of 1 to one account, from 24 concurrent clients, on every instance.
let sent = 0;
const outcome = { ok: 0, stale: 0, unavailable: 0 };
const t0 = performance.now();
await Promise.all(
  Array.from({ length: 24 }, async () => {
    while (sent < requests) {
      const id = ids[sent++ % ids.length]!;
      const r = await call(httpPorts[id]!, 'POST', '/deposit?account=main&amount=1');
      if (r.status === 200) outcome.ok++;
      else if (r.status === 409) outcome.stale++;
      else outcome.unavailable++;
    }
  }),
);
const seconds = (performance.now() - t0) / 1000;
const balance = (await call(httpPorts.n1!, 'GET', '/balance?account=main')).body.balance as number;
console.log(
  `load: ${requests} deposits in ${seconds.toFixed(1)} s (${(requests / seconds).toFixed(0)}/s): ` +
    `${outcome.ok} acknowledged, ${outcome.stale} refused as stale, ${outcome.unavailable} unavailable`,
);
// A 503 means "outcome unknown" (e.g. the release timed out after the write): it may or may not count.
const balanceOk = balance >= outcome.ok && balance <= outcome.ok + outcome.unavailable;
console.log(
  `balance ${balance}, acknowledged deposits ${outcome.ok}` +
    (outcome.unavailable > 0 ? ` (+ up to ${outcome.unavailable} of unknown outcome)` : '') +
    `: none lost, none counted twice: ${balanceOk ? 'yes' : 'NO'}`,
);

// 2. Fencing: n3 is frozen inside its critical section past its lease; n1 takes the lock meanwhile.
const slow = call(httpPorts.n3!, 'POST', '/deposit?account=fenced&amount=1000&hold=300');
await new Promise((r) => setTimeout(r, 150));
children.get('n3')!.kill('SIGSTOP');
console.log(
  'n3 frozen (SIGSTOP) while it holds the lock on account "fenced", between its read and its write',
);
const other = await call(httpPorts.n1!, 'POST', '/deposit?account=fenced&amount=1');
console.log(
  `n1 got the lock once n3's lease ran out and deposited 1 with fencing token ${other.body.fencingToken}`,
);
children.get('n3')!.kill('SIGCONT');
const late = await slow;
const fenced = late.status === 409;
console.log(
  fenced
    ? `n3 resumed; its late write was refused: token ${late.body.token} < ${late.body.highest} (without fencing it would have overwritten n1's deposit)`
    : `n3 resumed; its write was NOT refused (status ${late.status})`,
);
const fencedBalance = (await call(httpPorts.n2!, 'GET', '/balance?account=fenced')).body.balance;
console.log(`balance of "fenced": ${fencedBalance} (n1's deposit kept)`);

// 3. The scheduler: lines from the leader only, one term at a time.
const lines = readFileSync(join(dir, 'scheduler.log'), 'utf8').trim().split('\n');
console.log(
  `scheduler ran ${lines.length} times, on ${[...new Set(lines.map((l) => l.split(' ')[0]))].join(', ')}`,
);

for (const c of children.values()) c.kill('SIGTERM');
await Promise.race([
  Promise.all([...children.values()].map((c) => new Promise((r) => c.once('exit', r)))),
  new Promise((r) => setTimeout(r, 5000)),
]);
process.exit(balanceOk && fenced && fencedBalance === 1 ? 0 : 1);
