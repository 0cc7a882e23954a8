import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatSeed, parseSeed, Rng } from '../../packages/core/src/sim/rng.js';
import type { ChaosCluster } from '../chaos/chaos-cluster.js';
import { createMemberSet } from '../chaos/member-set.js';
import type { RunRecord } from '../chaos/run-record.js';
import { memberUrls } from '../support/free-port.js';
import { type Attempt, authenticatedAttempt, unauthenticatedAttempt } from '../support/hostile-peer.js';

/**
 * Seeded fuzzing of live members: thousands of damaged handshakes and frames
 * on their peer ports, with every workload (locks on a fenced counter among
 * them) running meanwhile. Three members run; a fourth, n4, is configured but
 * never started, so the attacker can pass the handshake as n4 and reach the
 * authenticated path without displacing a real peer's link.
 */
const SEED = process.env.BATON_SEED === undefined ? 0xf022 : parseSeed(process.env.BATON_SEED);
const ATTEMPTS_PER_PATH = 1000;
/**
 * Connections in flight at once: under the member's 8 pending-handshake slots
 * (at the default maxFrameBytes), or it would rightly evict the attacker's own
 * oldest handshakes, the authenticated ones among them.
 */
const CONCURRENCY = 6;
const SECRET = 'hostile-frames-test-secret';
/** The members' handshake deadline (the transport's default) and what a loaded machine may add. */
const HANDSHAKE_TIMEOUT_MS = 5000;
const CLOSE_WAIT_MS = HANDSHAKE_TIMEOUT_MS + 3000;
/** Heap growth a member may show after the fuzz: far below what buffering the attacks would take. */
const HEAP_GROWTH_MAX = 64 * 1024 * 1024;
const RUNNING = ['n1', 'n2', 'n3'];

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function start(): Promise<{
  cluster: ChaosCluster;
  record: RunRecord;
  members: Record<string, string>;
  logs: Map<string, string[]>;
}> {
  const members = await memberUrls([...RUNNING, 'n4']);
  const dir = await mkdtemp(join(tmpdir(), 'baton-hostile-'));
  const logs = new Map<string, string[]>(RUNNING.map((id) => [id, []]));
  const { cluster, record } = createMemberSet({
    ids: RUNNING,
    membersFor: () => members,
    dir,
    seed: SEED,
    secret: SECRET,
    workload: { lockWorkers: 1, gapMs: [20, 80] },
    onEvent: (e) => {
      if (e.ev === 'inc') for (const wake of [...incWaiters]) wake();
    },
    onLog: (id, line) => {
      if (line.includes('closing peer connection') || line.includes('refused a peer link'))
        logs.get(id)?.push(line);
    },
  });
  cleanup = async () => {
    await cluster.close();
    await rm(dir, { recursive: true, force: true });
  };
  await Promise.all(RUNNING.map((id) => cluster.start(id)));
  return { cluster, record, members, logs };
}

const incWaiters = new Set<() => void>();

/** Resolves once the workers' acknowledged increments reach `count`, woken by their 'inc' events; rejects after `ms`. */
function incrementsReach(record: RunRecord, count: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (record.incOutcomes.ok < count) return;
      done();
      resolve();
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`only ${record.incOutcomes.ok} of ${count} increments within ${ms} ms`));
    }, ms);
    const done = (): void => {
      clearTimeout(timer);
      incWaiters.delete(check);
    };
    incWaiters.add(check);
    check();
  });
}

async function heapOf(cluster: ChaosCluster): Promise<number[]> {
  const answers = await Promise.all(
    RUNNING.map((id) => cluster.request(id, { cmd: 'status', sync: false }, 'status', 10_000)),
  );
  return answers.map((a) => (a.ev === 'status' ? a.heapUsed : Number.NaN));
}

describe('live members fed damaged handshakes and frames', () => {
  it(`close each offending connection, log it, stay up and keep serving locks (seed ${formatSeed(SEED)})`, {
    timeout: 300_000,
  }, async () => {
    const { cluster, record, members, logs } = await start();
    await incrementsReach(record, 5, 60_000);
    const heapBefore = await heapOf(cluster);
    const rng = Rng.fromSeed(SEED).fork('hostile-frames');
    const attempts: Attempt[] = [];
    const jobs: (() => Promise<Attempt>)[] = [];
    for (let i = 0; i < ATTEMPTS_PER_PATH; i++) {
      const target = RUNNING[i % RUNNING.length]!;
      const url = members[target]!;
      const unauthenticated = rng.fork(`u${i}`);
      const authenticated = rng.fork(`a${i}`);
      jobs.push(() => unauthenticatedAttempt(url, unauthenticated, CLOSE_WAIT_MS));
      jobs.push(() =>
        authenticatedAttempt(url, { ownId: 'n4', target, secret: SECRET }, authenticated, CLOSE_WAIT_MS),
      );
    }
    const before = record.incOutcomes.ok;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < jobs.length) attempts.push(await jobs[next++]!());
      }),
    );

    const open = attempts.filter((a) => a.closedMs === undefined);
    expect(open, `connections left open (seed ${formatSeed(SEED)})`).toEqual([]);
    const slowest = Math.max(...attempts.map((a) => a.closedMs ?? 0));
    expect(slowest).toBeLessThan(CLOSE_WAIT_MS);
    // No member crashed or stopped itself.
    for (const id of RUNNING) expect(cluster.isRunning(id), `${id} is running`).toBe(true);
    expect(record.memberErrors).toEqual([]);
    // Each member logged the offending connections it closed.
    for (const id of RUNNING) {
      const lines = logs.get(id)!;
      expect(
        lines.some((l) => l.includes('"reason":"malformed-frame"')),
        `${id} logs malformed frames`,
      ).toBe(true);
      expect(
        lines.some((l) => l.includes('refused a peer link')),
        `${id} logs refused handshakes`,
      ).toBe(true);
    }
    // Locks kept being served through the attacks and after them.
    await incrementsReach(record, Math.max(record.incOutcomes.ok, before) + 10, 60_000);
    const heapAfter = await heapOf(cluster);
    heapAfter.forEach((after, i) => {
      expect(after - heapBefore[i]!, `heap growth of ${RUNNING[i]}`).toBeLessThan(HEAP_GROWTH_MAX);
    });
    console.log(
      `hostile frames: ${attempts.length} connections (${attempts.filter((a) => a.path === 'authenticated').length} authenticated), slowest close ${slowest.toFixed(0)} ms, ${record.incOutcomes.ok - before} increments meanwhile and after, heap ${heapBefore.map((h) => (h / 1e6).toFixed(0)).join('/')} → ${heapAfter.map((h) => (h / 1e6).toFixed(0)).join('/')} MB`,
    );
  });
});
