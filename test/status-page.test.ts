import { request } from 'node:http';
import { Cluster, isBatonError } from '@baton/core';
import { Locks } from '@baton/lock';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';

const running: Cluster[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

async function startThree(): Promise<Cluster[]> {
  const members = await memberUrls(['n1', 'n2', 'n3']);
  const logger = pino({ level: 'silent' });
  const started = await Promise.all(
    Object.keys(members).map((id) =>
      Cluster.start({
        id,
        members,
        dataDir: ':memory:',
        secret: 'status-page-secret-01',
        logger,
        status: { port: 0 },
      }),
    ),
  );
  running.push(...started);
  await Promise.race(started.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
  return started;
}

function get(
  port: number,
  path: string,
  method = 'GET',
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.on('data', (chunk) => {
        body += String(chunk);
        // A live view never ends: its first event is enough.
        if (path === '/events' && body.includes('\n\n')) res.destroy();
      });
      const done = () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body });
      res.on('end', done);
      res.on('close', done);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the status page of a member', () => {
  it('reports role, term, leader, leases and locks as JSON, Prometheus text and a live HTML page', async () => {
    const members = await startThree();
    const leader = members.find((c) => c.role === 'leader')!;
    const follower = members.find((c) => c !== leader)!;
    const locks = new Locks(follower, { ttlMs: 2000 });
    const held = await locks.acquire('invoice-42');
    await leader.coordination.read(() => undefined);

    const json = JSON.parse((await get(leader.statusPort!, '/status.json')).body);
    expect(json.member).toMatchObject({
      id: leader.id,
      role: 'leader',
      leaderId: leader.id,
      term: leader.term,
    });
    expect(json.locks).toEqual([
      expect.objectContaining({
        space: 'lock',
        name: 'invoice-42',
        holder: expect.objectContaining({ memberId: follower.id, fencingToken: held.fencingToken }),
      }),
    ]);
    expect(json.leases).toEqual([
      expect.objectContaining({ owner: follower.id, ttlMs: 2000, remainingMs: expect.any(Number) }),
    ]);

    const metrics = await get(leader.statusPort!, '/metrics');
    expect(metrics.type).toContain('text/plain');
    expect(metrics.body).toContain('baton_role{role="leader"} 1');
    expect(metrics.body).toContain('baton_locks_held 1');
    expect(metrics.body).toMatch(/baton_command_seconds_count \d+/);

    const page = await get(follower.statusPort!, '/');
    expect(page.type).toContain('text/html');
    expect(page.body).toContain("new EventSource('events')");
    const events = await get(follower.statusPort!, '/events');
    expect(events.type).toContain('text/event-stream');
    const first = JSON.parse(events.body.split('\n')[0]!.slice('data: '.length));
    expect(first.member).toMatchObject({ id: follower.id, role: 'follower', leaderId: leader.id });

    expect((await get(leader.statusPort!, '/status.json', 'POST')).status).toBe(405);
    expect((await get(leader.statusPort!, '/nope')).status).toBe(404);
    await held.release();
    await locks.close();
  });

  it('a bad status option is BATON_CONFIG naming it', async () => {
    const members = await memberUrls(['n1']);
    const error = await Cluster.start({
      id: 'n1',
      members,
      dataDir: ':memory:',
      insecure: true,
      status: { port: -1 },
    }).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG') && error.field).toBe('status.port');
  });
});
