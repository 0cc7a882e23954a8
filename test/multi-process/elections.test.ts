import { afterEach, describe, expect, it } from 'vitest';
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
import { monotonicNowMs } from '../support/member-protocol.js';
import type { EventOf } from '../support/process-cluster.js';
import { ProcessCluster } from '../support/process-cluster.js';

let pc: ProcessCluster | undefined;
afterEach(async () => {
  await pc?.close();
  pc = undefined;
});

/** Lease TTL of every candidate. */
const TTL_MS = 2000;
/** Bound on a call that should be answered at once. */
const ANSWER_MS = 10_000;
/** Bound on the next winner after a winner died: the TTL and a loaded machine. */
const WIN_AFTER_DEATH_MS = TTL_MS + 15_000;
/** "At once": a resign hands over in one commit, far sooner than a TTL. */
const HAND_OVER_MS = 1000;

describe('@baton/election named elections on three member processes', () => {
  it('a killed winner is followed by the next candidate after the TTL, resign() hands over at once, observe() sees each change in order, winners never overlap', async () => {
    const cluster = await ProcessCluster.start({ tuning: { coordination: true } });
    pc = cluster;
    const raftLeader = (await awaitLeader(cluster)).id;
    // x and y follow in Raft, z leads it: named elections are won independently of that.
    const [x, y] = cluster.ids.filter((id) => id !== raftLeader) as [string, string];
    const z = raftLeader;
    const campaign = (id: string, name: string) =>
      cluster.send(id, { cmd: 'campaign', name, ttlMs: TTL_MS, value: `${id}-${name}` });
    const elected = (id: string, req: number, timeoutMs = ANSWER_MS) =>
      cluster.waitForEvent(id, 'elected', (e) => e.req === req, timeoutMs);

    const observeReq = cluster.send(z, { cmd: 'observe', name: 'a' });
    const observed = (count: number) => {
      let seen = 0;
      return cluster.waitForEvent(z, 'observed', (e) => e.req === observeReq && ++seen === count, ANSWER_MS);
    };
    await observed(1);

    const xa = await elected(x, campaign(x, 'a'));
    const zb = await elected(z, campaign(z, 'b'));
    expect(xa.value).toBe(`${x}-a`);
    const ya = campaign(y, 'a');
    await awaitWaiters(cluster, z, 'election', 'a', [y], ANSWER_MS);
    campaign(x, 'b'); // never answered: x is killed while it waits
    await awaitWaiters(cluster, z, 'election', 'b', [x], ANSWER_MS);
    const yb = campaign(y, 'b');
    await awaitWaiters(cluster, z, 'election', 'b', [x, y], ANSWER_MS);
    await observed(2);

    // Kill a's winner right after its keep-alive was acknowledged.
    const key = 'election:a';
    const before = lastDeadline(cluster.events(), x, key, xa.token);
    const renewed = await cluster.waitForEvent(
      x,
      'hold-seen',
      (e) => e.key === key && e.deadline !== null && e.deadline > before,
      ANSWER_MS,
      { after: cluster.mark() },
    );
    const killedAt = cluster.kill(x, 'SIGKILL');
    const yaWon = await elected(y, ya, WIN_AFTER_DEATH_MS);
    expect(yaWon.token).toBeGreaterThan(xa.token);
    const keepAliveSentAt = renewed.deadline! - safeTtlMs(TTL_MS);
    expect(yaWon.at - keepAliveSentAt).toBeGreaterThanOrEqual(TTL_MS);
    expect(yaWon.at - killedAt).toBeGreaterThan(TTL_MS / 2);
    await observed(3);
    // The dead member's candidacy for b went with its lease; b's winner was never disturbed.
    await awaitWaiters(cluster, z, 'election', 'b', [y], ANSWER_MS);
    expect(cluster.events(z).filter((e) => e.ev === 'hold-lost' && e.key === 'election:b')).toEqual([]);

    // The killed member comes back and campaigns again; y resigns: it wins at once.
    await cluster.waitFor(x, (e) => e.ev === 'exit', ANSWER_MS);
    await cluster.restart(x);
    const xa2 = campaign(x, 'a');
    await awaitWaiters(cluster, z, 'election', 'a', [x], ANSWER_MS);
    const resignAt = monotonicNowMs();
    await ask(cluster, y, { cmd: 'resign', name: 'a' }, ['resigned'], ANSWER_MS);
    const xaWon = await elected(x, xa2);
    expect(xaWon.token).toBeGreaterThan(yaWon.token);
    await observed(4);

    const resignBAt = monotonicNowMs();
    await ask(cluster, z, { cmd: 'resign', name: 'b' }, ['resigned'], ANSWER_MS);
    const ybWon = await elected(y, yb);
    expect(ybWon.token).toBeGreaterThan(zb.token);

    const handOverA = xaWon.at - resignAt;
    const handOverB = ybWon.at - resignBAt;
    expect(handOverA).toBeLessThan(HAND_OVER_MS);
    expect(handOverB).toBeLessThan(HAND_OVER_MS);

    const sequence = cluster
      .events(z)
      .filter((e): e is EventOf<'observed'> => e.ev === 'observed' && e.req === observeReq)
      .map((e) => [e.memberId, e.token]);
    expect(sequence).toEqual([
      [null, null],
      [x, xa.token],
      [y, yaWon.token],
      [x, xaWon.token],
    ]);
    // The last winners' validity is reported right after their 'elected'.
    await cluster.waitForEvent(
      x,
      'hold-valid',
      (e) => e.key === 'election:a' && e.token === xaWon.token,
      ANSWER_MS,
    );
    await cluster.waitForEvent(
      y,
      'hold-valid',
      (e) => e.key === 'election:b' && e.token === ybWon.token,
      ANSWER_MS,
    );
    const gaps: string[] = [];
    for (const name of ['a', 'b']) {
      const intervals = holdIntervals(cluster.events(), `election:${name}`);
      for (let i = 1; i < intervals.length; i++) {
        gaps.push(`${name}: ${ms(intervals[i]!.from - intervals[i - 1]!.to)}`);
      }
      expect(overlappingHolds(intervals), `winners of ${name}`).toEqual([]);
    }
    expect(holdIntervals(cluster.events(), 'election:a').map((i) => i.token)).toEqual([
      xa.token,
      yaWon.token,
      xaWon.token,
    ]);
    console.log(
      `named elections (TTL ${TTL_MS} ms): after SIGKILL of a's winner ${x}, ${y} won ${ms(yaWon.at - killedAt)} later ` +
        `(${ms(yaWon.at - keepAliveSentAt)} after ${x}'s last acknowledged keep-alive was sent); ` +
        `resign handed a over in ${ms(handOverA)} and b in ${ms(handOverB)}; ` +
        `between one winner's last valid and the next one's first: ${gaps.join(', ')}; ` +
        `observe() on ${z} saw ${sequence.map(([m, t]) => `${m ?? 'none'}${t === null ? '' : `#${t}`}`).join(' → ')}`,
    );
  });
});
