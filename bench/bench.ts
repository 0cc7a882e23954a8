/**
 * `pnpm bench`: Baton on a 3-member cluster of real processes with fsync on.
 * - commit throughput and latency of small entries with 1, 16 and 64
 *   proposers on the leader, and 1 and 16 on a follower (forwarded to the
 *   leader), fsyncs per committed entry on the leader, elections during the load;
 * - failover: SIGKILL the leader → a survivor's leadership() resolves, and →
 *   its first committed write; `--trials` times, p50/p99/max.
 * - locks: sequential acquire+release round trips on the leader and on a
 *   follower (--lock-count), 16 workers (--lock-workers) on distinct locks
 *   and on one lock for --lock-ms, spread over the members (--lock-ms 0
 *   skips them); with what each acquire+release costs: raft entries, the
 *   leader's fsyncs, and the CPU time of all members together (Linux
 *   /proc). The costs move far less with the machine's load than the
 *   rates, so they compare builds. The last column, how busy the leader's
 *   main thread was, tells whether its one event loop or the disk set the
 *   pace.
 * - first of all, the disk under the WALs (disk-probe.ts): what a durable
 *   append costs alone and with three writers at once, the floor under every
 *   commit, which moves with the disk from day to day.
 * - named elections: sequential campaign → elected → resign round trips on
 *   the leader and on a follower (--election-count); SIGKILL of a named
 *   election's winner → the next candidate's token valid (--election-trials,
 *   TTL --election-ttl-ms).
 * Each lock and election workload first runs unmeasured in its own shape for
 * --warm-up-ms (and at least 100 round trips on each member; elections 50): the anchors warm
 * their etcd client up with 100, but here the three member processes are
 * JavaScript too: in a cluster that ran nothing before, the first seconds of
 * lock calls cost about twice the CPU of later ones (BENCHMARKS.md, run J).
 * Members run the compiled packages (`pnpm bench` builds them first), as an
 * application would: run from the TypeScript sources through tsx, every
 * closure pays for esbuild's name-keeping helper (one in-memory member spent
 * 37-48 us of CPU per lock from source against 29-32 us compiled).
 * `--from-source` runs the sources, for profiles whose frames name .ts lines.
 * Options: --trials 20  --load-ms 5000  --soak-ms 0 (a long 16-proposer run
 * that counts spurious elections)  --members 3  --cpu-prof DIR (each member
 * writes a V8 CPU profile there; members are stopped gracefully at the end)
 * --lock-ms 10000  --lock-count 1000  --lock-workers 16  --warm-up-ms 5000
 * --election-count 300  --election-trials 5  --election-ttl-ms 2000.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { probeDisk } from './disk-probe.js';

interface Ev {
  id: string;
  at: number;
  type: string;
  [k: string]: unknown;
}

const { values: args } = parseArgs({
  options: {
    trials: { type: 'string', default: '20' },
    'load-ms': { type: 'string', default: '5000' },
    'soak-ms': { type: 'string', default: '0' },
    members: { type: 'string', default: '3' },
    'cpu-prof': { type: 'string' },
    'lock-ms': { type: 'string', default: '10000' },
    'lock-count': { type: 'string', default: '1000' },
    'lock-workers': { type: 'string', default: '16' },
    'warm-up-ms': { type: 'string', default: '5000' },
    'election-count': { type: 'string', default: '300' },
    'election-trials': { type: 'string', default: '5' },
    'election-ttl-ms': { type: 'string', default: '2000' },
    'from-source': { type: 'boolean', default: false },
  },
});
const lockMs = Number(args['lock-ms']);
const lockCount = Number(args['lock-count']);
const lockWorkers = Number(args['lock-workers']);
const warmUpMs = Number(args['warm-up-ms']);
const electionCount = Number(args['election-count']);
const electionTrials = Number(args['election-trials']);
const electionTtlMs = Number(args['election-ttl-ms']);
const cpuProfDir = args['cpu-prof'];
const trials = Number(args.trials);
const loadMs = Number(args['load-ms']);
const soakMs = Number(args['soak-ms']);
const ids = Array.from({ length: Number(args.members) }, (_, i) => `n${i + 1}`);
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const dir = mkdtempSync(join(tmpdir(), 'baton-bench-'));
const secret = randomBytes(16).toString('hex');
const children = new Map<string, ChildProcess>();
const listeners = new Set<(e: Ev) => void>();
const log: Ev[] = [];
/** Each member's current process id (a restarted member reports a new one). */
const pids = new Map<string, number>();

process.on('exit', () => {
  for (const c of children.values()) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));

/** Ports handed out so far: the system may offer a port again once its probe has closed. */
const portsHandedOut = new Set<number>();

/** A free loopback port, distinct from every other this process handed out. */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (portsHandedOut.has(port)) continue;
    portsHandedOut.add(port);
    return port;
  }
}

async function probePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

function start(id: string, members: Record<string, string>): void {
  const child = spawn(
    process.execPath,
    [
      ...(cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : []),
      ...(args['from-source'] ? ['--conditions=@baton/source'] : []),
      '--import',
      'tsx',
      join(import.meta.dirname, 'bench-member.ts'),
    ],
    {
      env: {
        ...process.env,
        BATON_BENCH_MEMBER: JSON.stringify({ id, members, dataDir: join(dir, id), secret }),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  children.set(id, child);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{"id"')) return;
    const e = JSON.parse(line) as Ev;
    if (e.type === 'started') pids.set(e.id, e.pid as number);
    log.push(e);
    for (const l of listeners) l(e);
  });
}

function waitFor(pred: (e: Ev) => boolean, timeoutMs = 20_000): Promise<Ev> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      listeners.delete(l);
      reject(new Error('bench: timed out waiting for an event'));
    }, timeoutMs);
    const l = (e: Ev) => {
      if (!pred(e)) return;
      clearTimeout(t);
      listeners.delete(l);
      resolve(e);
    };
    listeners.add(l);
  });
}

function send(id: string, cmd: object): void {
  children.get(id)?.stdin?.write(`${JSON.stringify(cmd)}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? Number.NaN;
};
const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '-');

/** The member whose newest 'leading' event is the latest, if it has not lost it since. */
function currentLeader(): string | undefined {
  for (let i = log.length - 1; i >= 0; i--) {
    const e = log[i]!;
    if (e.type === 'lost') return undefined;
    if (e.type === 'leading') return e.id;
  }
  return undefined;
}

/** Asks every member for its stats (and resets its event-loop delay monitor). */
async function stats(): Promise<Ev[]> {
  const replies = ids.map((id) => waitFor((e) => e.type === 'stats' && e.id === id));
  for (const id of ids) send(id, { cmd: 'stats' });
  return Promise.all(replies);
}

/** A member's commit index and fsync count so far (its status and storage stats). */
async function memberStats(id: string): Promise<{ commitIndex: number; fsyncs: number }> {
  const reply = waitFor((e) => e.type === 'stats' && e.id === id);
  send(id, { cmd: 'stats' });
  const e = await reply;
  return {
    commitIndex: (e.status as { commitIndex?: number } | undefined)?.commitIndex ?? Number.NaN,
    fsyncs: (e.storage as { fsyncs?: number } | undefined)?.fsyncs ?? Number.NaN,
  };
}

async function runLoad(leader: string, proposers: number, durationMs: number) {
  const electionsBefore = log.filter((e) => e.type === 'leading').length;
  const result = waitFor((e) => e.type === 'load-result' && e.id === leader, durationMs + 30_000);
  send(leader, { cmd: 'load', proposers, durationMs });
  const r = await result;
  const elections = log.filter((e) => e.type === 'leading').length - electionsBefore;
  const withElections: Ev & { elections: number } = { ...r, elections };
  return withElections;
}

// Before the members start, so that nothing else writes to the disk meanwhile.
const disk = await probeDisk();
const members: Record<string, string> = {};
for (const id of ids) members[id] = `ws://127.0.0.1:${await freePort()}`;
const leading = waitFor((e) => e.type === 'leading');
for (const id of ids) start(id, members);
let leader = (await leading).id;
await sleep(1000);
console.log(`# Baton bench — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
console.log(`${ids.length} members, real processes, fsync on (WAL in ${tmpdir()}), default timing`);
console.log(
  `disk there: a 64-byte O_DSYNC append takes p50 ${disk.aloneP50Us.toFixed(0)} µs (p99 ${disk.aloneP99Us.toFixed(0)}) alone, ` +
    `p50 ${disk.threeP50Us.toFixed(0)} µs (p99 ${disk.threeP99Us.toFixed(0)}) with 3 writers at once\n`,
);

console.log('## Commit throughput (64-byte commands)\n');
console.log(
  '| proposers | on | commits/s | p50 ms | p99 ms | fsyncs/entry (leader) | elections during run |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
const loads: { proposers: number; on: 'leader' | 'follower' }[] = [
  { proposers: 1, on: 'leader' },
  { proposers: 16, on: 'leader' },
  { proposers: 64, on: 'leader' },
  { proposers: 1, on: 'follower' },
  { proposers: 16, on: 'follower' },
];
for (const { proposers, on } of loads) {
  const where = on === 'leader' ? leader : ids.find((id) => id !== leader)!;
  const fsyncsBefore = (await memberStats(leader)).fsyncs;
  const r = await runLoad(where, proposers, loadMs);
  const fsyncs = (await memberStats(leader)).fsyncs - fsyncsBefore;
  const fsyncsPerEntry = fsyncs / (r.committed as number);
  console.log(
    `| ${proposers} | ${on} | ${fmt(r.perSecond as number)} | ${fmt(r.p50 as number)} | ${fmt(r.p99 as number)} | ${fsyncsPerEntry.toFixed(3)} | ${r.elections} |`,
  );
  leader = currentLeader() ?? leader;
}
if (lockMs > 0) await lockBench();
if (electionCount > 0 || electionTrials > 0) await electionBench();

/**
 * Named elections: round trips on the leader and on a follower, as etcd's
 * anchor part e measures them; then `electionTrials` times, all members
 * campaign on one name, the winner's process is SIGKILLed, and the next
 * winner's token is valid after the TTL (its lease must expire first).
 */
async function electionBench(): Promise<void> {
  console.log('\n## Named elections (Election.campaign → elected → resign, fsync on)\n');
  console.log('| workload | on | ops/s | p50 ms | p99 ms | failed |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const follower = ids.find((id) => id !== leader)!;
  if (electionCount > 0) {
    for (const [on, id] of [
      ['leader', leader],
      ['follower', follower],
    ] as const) {
      const result = waitFor((e) => e.type === 'election-rt-result' && e.id === id, warmUpMs + 300_000);
      send(id, { cmd: 'election-rt', count: electionCount, warmUpMs });
      const r = (await result) as Ev & {
        ops: number;
        elapsedMs: number;
        p50: number;
        p99: number;
        failed: number;
        warmUpFailed: number;
      };
      console.log(
        `| campaign → resign, sequential (${electionCount}) | ${on} | ${fmtRate(r)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${failures(r)} |`,
      );
    }
  }
  if (electionTrials <= 0) return;
  const name = 'bench-winner';
  const gaps: number[] = [];
  const notes: string[] = [];
  // The followers campaign first, so the first winner's kill is not also a Raft failover.
  const raftLeader = currentLeader() ?? leader;
  let winner = waitFor((e) => e.type === 'elected' && e.name === name, 60_000);
  for (const id of ids) if (id !== raftLeader) send(id, { cmd: 'campaign', name, ttlMs: electionTtlMs });
  await winner;
  send(raftLeader, { cmd: 'campaign', name, ttlMs: electionTtlMs });
  for (let t = 0; t < electionTrials; t++) {
    const won = await winner;
    await sleep(1000); // a few keep-alive rounds of the winner's lease
    const killed = won.id;
    winner = waitFor((e) => e.type === 'elected' && e.name === name && e.id !== killed, 60_000);
    const wasRaftLeader = currentLeader() === killed;
    const killedAt = nowMs();
    children.get(killed)!.kill('SIGKILL');
    const next = await winner;
    gaps.push(next.at - killedAt);
    notes.push(`${killed}${wasRaftLeader ? ' (Raft leader)' : ''} → ${next.id}`);
    // The killed member comes back and queues again behind the new winner.
    winner = Promise.resolve(next);
    const back = waitFor((e) => e.type === 'started' && e.id === killed);
    start(killed, members);
    await back;
    send(killed, { cmd: 'campaign', name, ttlMs: electionTtlMs });
    await sleep(1500);
    leader = currentLeader() ?? leader;
  }
  console.log(
    `\nSIGKILL of a named election's winner → the next winner's token valid (TTL ${electionTtlMs} ms, ${electionTrials} trials): ` +
      `p50 ${fmt(pct(gaps, 0.5))} / max ${fmt(Math.max(...gaps))} ms; raw ${gaps.map((g) => g.toFixed(0)).join(' ')} (${notes.join(', ')})`,
  );
  console.log(
    "(From the kill: the winner's lease ends one TTL after its last acknowledged keep-alive was sent, up to a third of a TTL before the kill; a killed Raft leader adds a Raft failover.)",
  );
}

/** Lock round trips on the leader and on a follower; `lockWorkers` on distinct locks and on one lock, spread over the members. */
async function lockBench(): Promise<void> {
  console.log('\n## Locks (Locks.acquire + release, fsync on)\n');
  console.log(
    `| workload | on | ops/s | p50 ms | p99 ms | failed | entries/op | leader fsyncs/op | CPU ms/op (${ids.length} members) | leader CPU |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  const follower = ids.find((id) => id !== leader)!;
  for (const [on, id] of [
    ['leader', leader],
    ['follower', follower],
  ] as const) {
    const r = await runLocks([id], 'roundtrip', 1, 0);
    console.log(
      `| round trip, sequential (${lockCount}) | ${on} | ${fmtRate(r)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${failures(r)} | ${costs(r)} |`,
    );
  }
  for (const mode of ['distinct', 'one'] as const) {
    const r = await runLocks(ids, mode, lockWorkers, lockMs);
    const label =
      mode === 'distinct'
        ? `${lockWorkers} workers, distinct locks`
        : `${lockWorkers} workers, one lock (hand-offs)`;
    console.log(
      `| ${label} | all ${ids.length} members | ${fmtRate(r)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${failures(r)} | ${costs(r)} |`,
    );
  }
  leader = currentLeader() ?? leader;
}

/** Runs a lock workload on `on`, `workers` split between them; sums the members' results. */
async function runLocks(on: readonly string[], mode: string, workers: number, durationMs: number) {
  const results = on.map((id) =>
    waitFor((e) => e.type === 'locks-result' && e.id === id, warmUpMs + durationMs + 120_000),
  );
  const timed = Promise.all(
    on.map((id) => waitFor((e) => e.type === 'locks-timed' && e.id === id, warmUpMs + 120_000)),
  );
  on.forEach((id, i) => {
    const share = Math.floor(workers / on.length) + (i < workers % on.length ? 1 : 0);
    send(id, { cmd: 'locks', mode, workers: share, durationMs, count: lockCount, warmUpMs });
  });
  await timed;
  const before = await costSnapshot();
  const rs = await Promise.all(results);
  const after = await costSnapshot();
  const ops = rs.reduce((n, r) => n + (r.ops as number), 0);
  const elapsedMs = Math.max(...rs.map((r) => r.elapsedMs as number));
  return {
    ops,
    elapsedMs,
    failed: rs.reduce((n, r) => n + (r.failed as number), 0),
    warmUpFailed: rs.reduce((n, r) => n + (r.warmUpFailed as number), 0),
    // Percentiles of the member with the most operations (the load is spread evenly).
    p50: Math.max(...rs.map((r) => r.p50 as number)),
    p99: Math.max(...rs.map((r) => r.p99 as number)),
    entries: after.commitIndex - before.commitIndex,
    leaderFsyncs: after.leaderFsyncs - before.leaderFsyncs,
    cpuSeconds: after.cpuSeconds - before.cpuSeconds,
    leaderCpuSeconds: after.leaderCpuSeconds - before.leaderCpuSeconds,
  };
}

/**
 * What the cluster has spent so far: the leader's commit index and fsyncs,
 * and the CPU time of every member process. Taken when the last member
 * starts its timed part and after the last result: the workers on each
 * member start and stop within a few ms of the others.
 */
async function costSnapshot(): Promise<{
  commitIndex: number;
  leaderFsyncs: number;
  cpuSeconds: number;
  leaderCpuSeconds: number;
}> {
  const cpuSeconds = ids.reduce((sum, id) => sum + processCpuSeconds(pids.get(id)), 0);
  const leaderCpuSeconds = mainThreadCpuSeconds(pids.get(leader));
  const { commitIndex, fsyncs } = await memberStats(leader);
  return { commitIndex, leaderFsyncs: fsyncs, cpuSeconds, leaderCpuSeconds };
}

/** User + system CPU seconds a process used so far, all its threads (Linux /proc; NaN elsewhere). */
function processCpuSeconds(pid: number | undefined): number {
  return cpuSecondsOf(`/proc/${pid}/stat`);
}

/** The same for a process's main thread alone: its event loop, without the threads that write files. */
function mainThreadCpuSeconds(pid: number | undefined): number {
  return cpuSecondsOf(`/proc/${pid}/task/${pid}/stat`);
}

function cpuSecondsOf(statPath: string): number {
  try {
    // Fields after the command name (which may hold ') '): utime and stime are the 12th and 13th,
    // in clock ticks, 100 a second on Linux (USER_HZ).
    const stat = readFileSync(statPath, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** The cost columns of the lock table, per acquire+release. */
function costs(r: {
  ops: number;
  elapsedMs: number;
  entries: number;
  leaderFsyncs: number;
  cpuSeconds: number;
  leaderCpuSeconds: number;
}): string {
  const perOp = (x: number, digits: number) =>
    r.ops > 0 && Number.isFinite(x) ? (x / r.ops).toFixed(digits) : '-';
  // How busy the leader's main thread was: one event loop does all of the leader's work, so near
  // 100 % it, not the disk, sets the pace.
  const leaderBusy = (r.leaderCpuSeconds * 1000) / r.elapsedMs;
  const busy = r.elapsedMs > 0 && Number.isFinite(leaderBusy) ? `${(leaderBusy * 100).toFixed(0)} %` : '-';
  return `${perOp(r.entries, 2)} | ${perOp(r.leaderFsyncs, 2)} | ${perOp(r.cpuSeconds * 1000, 2)} | ${busy}`;
}

/** The failed column: timed calls that failed, and any that failed during the warm-up. */
function failures(r: { failed?: unknown; warmUpFailed?: unknown }): string {
  const warmUp = Number(r.warmUpFailed ?? 0);
  return warmUp > 0 ? `${r.failed} (warm-up: ${warmUp})` : `${r.failed}`;
}

function fmtRate(r: { ops: number; elapsedMs: number }): string {
  return fmt((r.ops / r.elapsedMs) * 1000);
}

if (soakMs > 0) {
  await stats(); // resets each member's event-loop delay monitor
  const soakStart = nowMs();
  const r = await runLoad(leader, 16, soakMs);
  const perMember = await stats(); // also lets stall reports that trail the result arrive
  console.log(
    `\nSoak: 16 proposers for ${soakMs / 1000} s: ${fmt(r.perSecond as number)} commits/s, elections: ${r.elections}`,
  );
  const changes = log.filter(
    (e) => e.at >= soakStart && ['role', 'lost', 'leading', 'stall', 'gc'].includes(e.type),
  );
  for (const e of changes) {
    const detail = e.type === 'stall' || e.type === 'gc' ? `${fmt(e.ms as number)} ms` : '';
    console.log(
      `  ${((e.at - soakStart) / 1000).toFixed(3)} s ${e.id} ${e.type} ${e.role ?? ''} ${e.term ?? ''} ${e.cause ?? ''}${detail}`,
    );
  }
  for (const s of perMember) {
    console.log(
      `  ${s.id}: event-loop delay max ${fmt(s.loopDelayMaxMs as number)} ms, p99 ${fmt(s.loopDelayP99Ms as number)} ms, heap ${s.heapMb} MB`,
    );
  }
  leader = currentLeader() ?? leader;
}

if (trials === 0) await finish();
console.log(`\n## Failover (SIGKILL the leader), ${trials} trials\n`);
const elected: number[] = [];
/** What happened between each kill and the new leader, for explaining slow trials. */
const timelines: string[][] = [];
const firstWrite: number[] = [];
for (let t = 0; t < trials; t++) {
  leader = currentLeader() ?? (await waitFor((e) => e.type === 'leading')).id;
  const killed = leader;
  const nextLeader = waitFor((e) => e.type === 'leading' && e.id !== killed);
  const nextWrite = waitFor((e) => e.type === 'first-write' && e.id !== killed);
  const killedAt = nowMs();
  children.get(killed)!.kill('SIGKILL');
  const l = await nextLeader;
  const w = await nextWrite;
  elected.push(l.at - killedAt);
  timelines.push(
    log
      .filter((e) => e.at >= killedAt && e.at <= l.at + 1)
      .map((e) => `${(e.at - killedAt).toFixed(0)} ${e.id} ${e.type} ${e.role ?? ''} ${e.term ?? ''}`),
  );
  firstWrite.push(w.at - killedAt);
  leader = l.id;
  const back = waitFor((e) => e.type === 'started' && e.id === killed);
  start(killed, members);
  await back;
  await sleep(1500); // let the restarted member catch up and the cluster settle
}
console.log('| from the kill to | p50 ms | p99 ms | max ms |');
console.log('| --- | --- | --- | --- |');
console.log(
  `| new leader's leadership() resolved | ${fmt(pct(elected, 0.5))} | ${fmt(pct(elected, 0.99))} | ${fmt(Math.max(...elected))} |`,
);
console.log(
  `| its first committed write | ${fmt(pct(firstWrite, 0.5))} | ${fmt(pct(firstWrite, 0.99))} | ${fmt(Math.max(...firstWrite))} |`,
);
console.log(`\nraw (ms): elected ${elected.map((x) => x.toFixed(0)).join(' ')}`);
const slowest = elected.indexOf(Math.max(...elected));
console.log(
  `\nslowest trial (${slowest + 1}), events in ms from the kill:\n  ${timelines[slowest]?.join('\n  ')}`,
);
await finish();

/** Ends the run; with --cpu-prof, members stop gracefully first so that they write their profiles. */
async function finish(): Promise<never> {
  if (cpuProfDir) {
    const running = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null);
    const exited = running.map((c) => new Promise((resolve) => c.once('exit', resolve)));
    for (const c of running) c.kill('SIGTERM');
    await Promise.all(exited);
  }
  process.exit(0);
}
