import { type BatonError, Cluster, type ClusterOptions } from '@baton/core';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingStateMachine } from '../packages/core/src/runtime/state-machine.js';
import { memberUrls } from './support/free-port.js';

// Long election timeouts: without a hand-over the next leader needs at least
// ~3 s, with one it needs a few round trips. The bound below sits between.
const TIMING = { heartbeatMs: 100, electionTimeoutMs: [3000, 4000] } as const;
const HANDED_OVER_WITHIN_MS = 1500;

const running: Cluster[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function startAll(ids: string[], extra: Partial<ClusterOptions> = {}): Promise<Cluster[]> {
  const members = await memberUrls(ids);
  const logger = pino({ level: 'silent' });
  const started = await Promise.all(
    ids.map((id) =>
      Cluster.start({
        id,
        members,
        dataDir: ':memory:',
        secret: 'stop-test-secret-0001',
        logger,
        ...TIMING,
        ...extra,
      }),
    ),
  );
  running.push(...started);
  return started;
}

function reasonOf(signal: AbortSignal): { code: string; cause: unknown } {
  const reason = signal.reason as BatonError;
  return { code: reason.code, cause: reason.cause };
}

/** Stops `leader` and measures how long until another member holds a token. */
async function stopAndTimeNextToken(leader: Cluster, others: Cluster[]): Promise<number> {
  const t0 = performance.now();
  const next = Promise.race(others.map((c) => c.leadership({ signal: AbortSignal.timeout(20_000) })));
  const stopped = leader.stop();
  expect(leader.stop()).toBe(stopped); // idempotent: the same promise
  await next;
  const elapsed = performance.now() - t0;
  await stopped;
  return elapsed;
}

describe('Cluster.stop', () => {
  it('a leader hands over first: another member leads long before an election timeout; its token says stopped', async () => {
    const members = await startAll(['n1', 'n2', 'n3']);
    const token = await Promise.race(members.map((c) => c.leadership()));
    const leader = members.find((c) => c.role === 'leader')!;
    const elapsed = await stopAndTimeNextToken(
      leader,
      members.filter((c) => c !== leader),
    );
    expect(elapsed).toBeLessThan(HANDED_OVER_WITHIN_MS);
    expect(token.valid).toBe(false);
    // The member is going away: 'stopped', not 'transferred' (runOnLeader can tell shutting down from moving).
    expect(reasonOf(token.signal)).toEqual({ code: 'BATON_LEADERSHIP_LOST', cause: 'stopped' });
    await expect(leader.leadership()).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    await expect(leader.propose(new Uint8Array(1))).rejects.toMatchObject({ code: 'BATON_STOPPED' });
  });

  it('a command proposed on a leader once stop() began fails with BATON_STOPPED and is carried out nowhere', async () => {
    const ids = ['n1', 'n2', 'n3'];
    const members = await memberUrls(ids);
    const logger = pino({ level: 'silent' });
    const machines = new Map(ids.map((id) => [id, new CountingStateMachine()]));
    const started = await Promise.all(
      ids.map((id) =>
        Cluster.start(
          { id, members, dataDir: ':memory:', secret: 'stop-test-secret-0001', logger, ...TIMING },
          { stateMachine: machines.get(id)! },
        ),
      ),
    );
    running.push(...started);
    await Promise.race(started.map((c) => c.leadership()));
    const leader = started.find((c) => c.role === 'leader')!;
    const stopped = leader.stop();
    const late = leader.propose(new TextEncoder().encode('after stop'));
    await expect(late).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    await stopped;
    const rest = started.filter((c) => c !== leader);
    await Promise.race(rest.map((c) => c.leadership()));
    const next = rest.find((c) => c.role === 'leader')!;
    const marker = await next.propose(new TextEncoder().encode('marker'));
    for (const c of rest) {
      await c.readIndex();
      expect(c.status().appliedIndex).toBeGreaterThanOrEqual(marker.index);
      // Only the marker: the late command was refused, not forwarded to the next leader.
      expect(machines.get(c.id)!.commands, c.id).toBe(1);
    }
  });

  it('with a voter down, the hand-over goes to one that answers', async () => {
    const members = await startAll(['n1', 'n2', 'n3', 'n4', 'n5']);
    await Promise.race(members.map((c) => c.leadership()));
    const leader = members.find((c) => c.role === 'leader')!;
    // The first voter after the leader in configuration order: the target a tie on log match picks.
    const down = members.find((c) => c !== leader)!;
    await down.stop();
    // Let the leader's "heard from recently" window (two heartbeats) pass for the stopped member.
    await new Promise((resolve) => setTimeout(resolve, 5 * TIMING.heartbeatMs));
    const elapsed = await stopAndTimeNextToken(
      leader,
      members.filter((c) => c !== leader && c !== down),
    );
    expect(elapsed).toBeLessThan(HANDED_OVER_WITHIN_MS);
  });

  it('fails waiting calls at once with BATON_STOPPED and an aborted wait with BATON_ABORTED', async () => {
    // n1 of a three-member configuration whose peers never start: it never has a leader.
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const lonely = await Cluster.start({
      id: 'n1',
      members,
      dataDir: ':memory:',
      secret: 'stop-test-secret-0001',
      logger: pino({ level: 'silent' }),
    });
    running.push(lonely);
    const controller = new AbortController();
    const aborted = lonely.leadership({ signal: controller.signal });
    controller.abort(new Error('not interested'));
    await expect(aborted).rejects.toMatchObject({ code: 'BATON_ABORTED' });

    const waits = [
      lonely.leadership(),
      lonely.propose(new Uint8Array(1), { timeoutMs: 30_000 }),
      lonely.readIndex({ timeoutMs: 30_000 }),
    ];
    const settled = Promise.allSettled(waits);
    const t0 = performance.now();
    await lonely.stop();
    const outcomes = await settled;
    expect(performance.now() - t0).toBeLessThan(5000); // not the 30 s timeouts
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as BatonError).code)).toEqual([
      'BATON_STOPPED',
      'BATON_STOPPED',
      'BATON_STOPPED',
    ]);
  });

  it('await using stops the member at the end of the block, freeing its port', async () => {
    const members = await memberUrls(['n1']);
    const options = {
      id: 'n1',
      members,
      dataDir: ':memory:',
      insecure: true,
      logger: pino({ level: 'silent' }),
    };
    let escaped: Cluster | undefined;
    {
      await using solo = await Cluster.start(options);
      escaped = solo;
      await solo.leadership();
    }
    await expect(escaped.leadership()).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    const again = await Cluster.start(options); // the same port: the listener was closed
    running.push(again);
    expect((await again.leadership()).valid).toBe(true);
  });
});
