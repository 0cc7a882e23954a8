import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { awaitLeader } from '../support/cluster-checks.js';
import {
  ask,
  awaitWaiters,
  holdIntervals,
  lastDeadline,
  ms,
  overlappingHolds,
  safeTtlMs,
} from '../support/coordination-checks.js';
import type { EventOf } from '../support/process-cluster.js';
import { ProcessCluster } from '../support/process-cluster.js';

/** The cluster of the test running now, if it kills members. */
let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});
/** One cluster for the tests that leave every member running (they use different lock names). */
let shared: Promise<Started> | undefined;
afterAll(async () => {
  const started = await shared?.catch(() => undefined);
  await started?.cluster.close();
});

/** Lease TTL of the locks whose holder is killed or frozen: short, so the tests are quick. */
const TTL_MS = 2000;
/** Bound on a lock call that should be answered at once (a few round trips on a loaded machine). */
const ANSWER_MS = 10_000;
/** Bound on a waiter's grant after its holder died: the TTL, an election, and a loaded machine. */
const GRANT_AFTER_DEATH_MS = TTL_MS + 15_000;

interface Started {
  readonly cluster: ProcessCluster;
  readonly leader: string;
  readonly followers: string[];
}

/** A cluster of its own for a test that kills members; closed after the test. */
async function startCluster(): Promise<Started> {
  const cluster = await ProcessCluster.start({ tuning: { coordination: true } });
  pc = cluster;
  return await withLeader(cluster);
}

/**
 * The cluster shared by the tests that leave every member running (one
 * freezes a member and resumes it); closed after the file. With `current`,
 * the leader and followers are looked up again (leadership may have moved).
 */
async function sharedCluster(current = false): Promise<Started> {
  shared ??= ProcessCluster.start({ tuning: { coordination: true } }).then(withLeader);
  const started = await shared;
  if (!current) return started;
  const { cluster } = started;
  const leader = (await cluster.status(cluster.ids[0]!, ANSWER_MS)).leaderId ?? started.leader;
  return { cluster, leader, followers: cluster.ids.filter((id) => id !== leader) };
}

async function withLeader(cluster: ProcessCluster): Promise<Started> {
  const token = await awaitLeader(cluster);
  return { cluster, leader: token.id, followers: cluster.ids.filter((id) => id !== token.id) };
}

/**
 * Waits until member `id` reports a later lease deadline for its hold than
 * it did so far: a keep-alive was just acknowledged. Killing or freezing the
 * holder right then makes "a TTL after the kill" the instant the leader may
 * expire its lease.
 */
async function awaitKeepAlive(
  cluster: ProcessCluster,
  id: string,
  key: string,
  token: number,
): Promise<number> {
  const before = lastDeadline(cluster.events(), id, key, token);
  const event = await cluster.waitForEvent(
    id,
    'hold-seen',
    (e) => e.key === key && e.token === token && e.deadline !== null && e.deadline > before,
    ANSWER_MS,
    { after: cluster.mark() },
  );
  return event.deadline!;
}

describe('@baton/lock on three member processes', () => {
  it('3 members × 8 workers doing withLock around a read-modify-write of a file lose no increment; tokens grow in grant order', async () => {
    const { cluster } = await sharedCluster();
    const workers = 8;
    const rounds = 4;
    const file = join(cluster.dir, 'counter.json');
    await writeFile(file, JSON.stringify({ count: 0, token: 0 }));
    const startedAt = performance.now();
    const done = await Promise.all(
      cluster.ids.map((id) =>
        ask(
          cluster,
          id,
          { cmd: 'counter', name: 'counter', ttlMs: 5000, workers, rounds, file },
          ['counter-done'],
          60_000,
        ),
      ),
    );
    const elapsedMs = performance.now() - startedAt;
    for (const d of done) expect(d.failures, `failed withLock calls on ${d.id}`).toEqual([]);
    const total = cluster.ids.length * workers * rounds;
    const sections = cluster
      .events()
      .filter((e): e is EventOf<'cs'> => e.ev === 'cs')
      .sort((a, b) => a.from - b.from);
    expect(sections).toHaveLength(total);
    sections.forEach((s, i) => {
      // Each critical section read what the previous one wrote: none overlapped, none was lost.
      expect(s.read, `section ${i} (${s.id}, token ${s.token}) read`).toBe(i);
      if (i === 0) return;
      const previous = sections[i - 1]!;
      expect(s.from, `section ${i} starts after section ${i - 1} ended`).toBeGreaterThan(previous.to);
      expect(s.token, `section ${i} token`).toBeGreaterThan(previous.token);
      expect(s.previousToken, `section ${i} saw the previous writer's token`).toBe(previous.token);
    });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ count: total, token: sections.at(-1)!.token });
    const byMember = cluster.ids.map((id) => `${id} ${sections.filter((s) => s.id === id).length}`);
    console.log(
      `counter: ${total} increments by ${cluster.ids.length}×${workers} workers in ${ms(elapsedMs)} ` +
        `(${Math.round(total / (elapsedMs / 1000))} grants/s; ${byMember.join(', ')}); ` +
        `tokens ${sections[0]!.token}…${sections.at(-1)!.token}, strictly increasing in grant order`,
    );
  });

  it('the holder’s process SIGKILLed: the next waiter is granted a full TTL after the holder’s last keep-alive, with a larger token', async () => {
    const { cluster, leader, followers } = await startCluster();
    const [holder, waiter] = followers as [string, string];
    const key = 'lock:job';
    const held = await ask(
      cluster,
      holder,
      { cmd: 'acquire', name: 'job', ttlMs: TTL_MS },
      ['acquired'],
      ANSWER_MS,
    );
    const waitReq = cluster.send(waiter, { cmd: 'acquire', name: 'job', ttlMs: TTL_MS });
    await awaitWaiters(cluster, leader, 'lock', 'job', [waiter], ANSWER_MS);
    const deadline = await awaitKeepAlive(cluster, holder, key, held.token);
    const killedAt = cluster.kill(holder, 'SIGKILL');
    const granted = await cluster.waitForEvent(
      waiter,
      'acquired',
      (e) => e.req === waitReq,
      GRANT_AFTER_DEATH_MS,
    );
    expect(granted.token).toBeGreaterThan(held.token);
    // The keep-alive behind the holder's last deadline was sent at deadline - safeTtl: the leader
    // restarted the TTL no earlier, so it may not expire the lease (and grant the waiter) sooner.
    const keepAliveSentAt = deadline - safeTtlMs(TTL_MS);
    expect(granted.at - keepAliveSentAt).toBeGreaterThanOrEqual(TTL_MS);
    expect(granted.at).toBeGreaterThan(deadline);
    expect(granted.at - killedAt).toBeGreaterThan(TTL_MS / 2);
    const intervals = holdIntervals(cluster.events(), key);
    expect(overlappingHolds(intervals)).toEqual([]);
    console.log(
      `SIGKILL of the holder (TTL ${TTL_MS} ms): the waiter was granted ${ms(granted.at - killedAt)} after the kill, ` +
        `${ms(granted.at - keepAliveSentAt)} after the holder's last acknowledged keep-alive was sent, ` +
        `${ms(granted.at - deadline)} after the holder's own deadline; token ${held.token} → ${granted.token}`,
    );
  });

  it('the holder’s member frozen (SIGSTOP): its lock is invalid before another member is granted it, and its signal aborts on resume', async () => {
    const { cluster, leader, followers } = await sharedCluster(true);
    const [holder, waiter] = followers as [string, string];
    const key = 'lock:frozen';
    const held = await ask(
      cluster,
      holder,
      { cmd: 'acquire', name: 'frozen', ttlMs: TTL_MS },
      ['acquired'],
      ANSWER_MS,
    );
    const waitReq = cluster.send(waiter, { cmd: 'acquire', name: 'frozen', ttlMs: TTL_MS });
    await awaitWaiters(cluster, leader, 'lock', 'frozen', [waiter], ANSWER_MS);
    const deadline = await awaitKeepAlive(cluster, holder, key, held.token);
    const mark = cluster.mark();
    const frozenAt = cluster.kill(holder, 'SIGSTOP');
    const granted = await cluster.waitForEvent(
      waiter,
      'acquired',
      (e) => e.req === waitReq,
      GRANT_AFTER_DEATH_MS,
    );
    // Resumed while the waiter holds the lock: the first look at `valid` must already say false.
    const resumedAt = cluster.kill(holder, 'SIGCONT');
    const lost = await cluster.waitForEvent(holder, 'hold-lost', (e) => e.key === key, ANSWER_MS, {
      after: mark,
    });
    const ended = await cluster.waitForEvent(holder, 'hold-end', (e) => e.key === key, ANSWER_MS, {
      after: mark,
    });
    expect(lost.code).toBe('BATON_LOCK_LOST');
    expect(['keepalive-timeout', 'expired']).toContain(lost.cause);
    expect(ended.lastTrueAt).toBeLessThan(frozenAt + 50);
    await ask(cluster, waiter, { cmd: 'release', name: 'frozen' }, ['released'], ANSWER_MS);
    expect(granted.token).toBeGreaterThan(held.token);
    expect(granted.at - (deadline - safeTtlMs(TTL_MS))).toBeGreaterThanOrEqual(TTL_MS);
    const intervals = holdIntervals(cluster.events(), key);
    expect(intervals.map((i) => i.id)).toEqual([holder, waiter]);
    expect(overlappingHolds(intervals)).toEqual([]);
    console.log(
      `SIGSTOP of the holder (TTL ${TTL_MS} ms): granted elsewhere ${ms(granted.at - frozenAt)} after the freeze, ` +
        `${ms(granted.at - ended.lastTrueAt)} after the holder last saw its lock valid; on resume ` +
        `(${ms(resumedAt - granted.at)} after the grant) its signal aborted (${lost.code}, ${lost.cause}) ` +
        `${ms(lost.at - resumedAt)} later`,
    );
  });

  it('a wait that times out or is aborted leaves nothing behind: holder() and the next tryAcquire show it', async () => {
    const { cluster, followers, leader } = await sharedCluster();
    const [a, b] = followers as [string, string];
    const held = await ask(
      cluster,
      a,
      { cmd: 'acquire', name: 'busy', ttlMs: 10_000 },
      ['acquired'],
      ANSWER_MS,
    );
    const waitMs = 300;
    const timedOut = ask(
      cluster,
      b,
      { cmd: 'acquire', name: 'busy', ttlMs: 10_000, waitMs },
      ['acquire-failed', 'acquired'],
      ANSWER_MS,
    );
    const aborted = ask(
      cluster,
      leader,
      { cmd: 'acquire', name: 'busy', ttlMs: 10_000, abortAfterMs: waitMs },
      ['acquire-failed', 'acquired'],
      ANSWER_MS,
    );
    const startedAt = performance.now();
    const [t, x] = await Promise.all([timedOut, aborted]);
    expect(t.ev === 'acquire-failed' && t.code).toBe('BATON_LOCK_TIMEOUT');
    expect(x.ev === 'acquire-failed' && x.code).toBe('BATON_ABORTED');
    expect(performance.now() - startedAt).toBeLessThan(ANSWER_MS);
    await ask(cluster, a, { cmd: 'release', name: 'busy' }, ['released'], ANSWER_MS);
    // Had either wait stayed queued, the release would have granted it to a caller who gave up.
    const holder = await ask(cluster, b, { cmd: 'holder', name: 'busy' }, ['holder'], ANSWER_MS);
    expect(holder.memberId).toBeNull();
    const next = await ask(
      cluster,
      leader,
      { cmd: 'acquire', name: 'busy', ttlMs: 10_000, try: true },
      ['acquired', 'busy'],
      ANSWER_MS,
    );
    expect(next.ev).toBe('acquired');
    expect(next.ev === 'acquired' && next.token).toBeGreaterThan(held.token);
    const waiting = await ask(
      cluster,
      b,
      { cmd: 'waiters', space: 'lock', name: 'busy' },
      ['waiters'],
      ANSWER_MS,
    );
    expect(waiting.owners).toEqual([]);
  });

  it('lock calls made on followers while the leader is killed complete or fail with a clear code within waitMs', async () => {
    const { cluster, leader, followers } = await startCluster();
    const waitMs = 2000;
    const loops = followers.map((id) => ({
      id,
      req: cluster.send(id, { cmd: 'lock-loop', ttlMs: 5000, workers: 2, waitMs, holdMs: 5 }),
    }));
    const successes = (after: number) => (e: EventOf<'attempt'>) => e.code === null && e.startedAt > after;
    // Warm: every worker was granted its lock a few times.
    await Promise.all(followers.map((id) => cluster.waitForEvent(id, 'attempt', successes(0), ANSWER_MS)));
    const mark = cluster.mark();
    const killedAt = cluster.kill(leader, 'SIGKILL');
    // Calls whose waitMs is shorter than the failover, on a Locks instance whose lease exists
    // (the loop's, TTL 5000) and on a new one that must be granted a lease first.
    const shortWaitMs = 150;
    const short = [5000, 4000].map((ttlMs) =>
      ask(
        cluster,
        followers[0]!,
        { cmd: 'acquire', name: `short-${ttlMs}`, ttlMs, waitMs: shortWaitMs },
        ['acquired', 'acquire-failed'],
        ANSWER_MS,
      ),
    );
    const next = await awaitLeader(cluster, { after: mark });
    // Every follower is granted locks again (three times) after the new leader took over.
    await Promise.all(
      followers.map((id) => {
        let granted = 0;
        const isSuccess = successes(next.at);
        return cluster.waitForEvent(id, 'attempt', (e) => isSuccess(e) && ++granted === 3, ANSWER_MS, {
          after: mark,
        });
      }),
    );
    const stopMark = cluster.mark();
    for (const loop of loops) cluster.send(loop.id, { cmd: 'loop-stop', loop: loop.req });
    await Promise.all(
      loops.map((l) =>
        cluster.waitForEvent(l.id, 'loop-done', (e) => e.req === l.req, ANSWER_MS, { after: stopMark }),
      ),
    );
    const attempts = cluster.events().filter((e): e is EventOf<'attempt'> => e.ev === 'attempt');
    const slackMs = 1000;
    for (const answer of await Promise.all(short)) {
      const outcome = answer.ev === 'acquired' ? 'granted' : answer.code;
      console.log(
        `a call with waitMs ${shortWaitMs} made as the leader was killed: ${outcome} after ${ms(answer.at - killedAt)}`,
      );
      expect(['granted', 'BATON_LOCK_TIMEOUT', 'BATON_UNAVAILABLE']).toContain(outcome);
      expect(answer.at - killedAt).toBeLessThan(shortWaitMs + slackMs);
    }
    for (const a of attempts) {
      expect(a.endedAt - a.startedAt, `${a.id} ${a.name} acquire took`).toBeLessThan(waitMs + slackMs);
      expect([null, 'BATON_LOCK_TIMEOUT', 'BATON_UNAVAILABLE', 'BATON_LOCK_LOST']).toContain(a.code);
      expect([null, 'BATON_UNAVAILABLE', 'BATON_NOT_HELD', 'BATON_LOCK_LOST']).toContain(a.releaseCode);
      // A release has its own bound (the recipe's housekeeping timeout, 5 s).
      if (a.releasedAt !== null) expect(a.releasedAt - a.endedAt).toBeLessThan(5000 + slackMs);
    }
    const spanning = attempts.filter((a) => a.startedAt < next.at && (a.releasedAt ?? a.endedAt) > killedAt);
    const tally = new Map<string, number>();
    for (const a of spanning) tally.set(a.code ?? 'granted', (tally.get(a.code ?? 'granted') ?? 0) + 1);
    const longest = Math.max(...spanning.map((a) => a.endedAt - a.startedAt));
    console.log(
      `leader killed: ${next.id} leads ${ms(next.at - killedAt)} later; ${spanning.length} lock calls on followers ` +
        `were in flight across the failover: ${[...tally].map(([k, v]) => `${k} ${v}`).join(', ')}; ` +
        `the longest took ${ms(longest)} (waitMs ${waitMs})`,
    );
    expect(spanning.length).toBeGreaterThan(0);
  });
});
