import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '@baton/core';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';
import { collectingLogger, waitUntil } from './support/in-process.js';

describe('Cluster status and logging', () => {
  it('status() describes the member and its configuration; every log line says who, in which term and role', async () => {
    const members = await memberUrls(['n1']);
    const { logger, lines } = collectingLogger();
    const cluster = await Cluster.start({ id: 'n1', members, dataDir: ':memory:', insecure: true, logger });
    const token = await cluster.leadership();
    const { index } = await cluster.propose(new Uint8Array([1]));
    const status = cluster.status();
    expect(status).toMatchObject({ id: 'n1', role: 'leader', term: token.term, leaderId: 'n1' });
    expect(status.commitIndex).toBeGreaterThanOrEqual(index);
    expect(status.appliedIndex).toBeGreaterThanOrEqual(index);
    expect(status.members).toEqual([{ id: 'n1', voter: true }]);
    await cluster.stop();

    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line.member).toBe('n1');
    const started = lines.findIndex((l) => l.msg === 'member started');
    expect(started).toBeGreaterThanOrEqual(0);
    for (const line of lines.slice(started)) {
      expect(typeof line.term, JSON.stringify(line)).toBe('number');
      expect(['follower', 'preCandidate', 'candidate', 'leader'], JSON.stringify(line)).toContain(line.role);
    }
    expect(lines.some((l) => l.role === 'leader' && l.term === token.term)).toBe(true);
  });

  it('events report changes from the state start() returned with, even when it recovered a term from disk', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'baton-events-'));
    const running = new Map<string, Cluster>();
    try {
      const members = await memberUrls(['n1', 'n2', 'n3']);
      const start = async (id: string) => {
        const options = { id, members, insecure: true, logger: pino({ level: 'silent' }) };
        running.set(id, await Cluster.start({ ...options, dataDir: join(dataDir, id) }));
        return running.get(id)!;
      };
      for (const id of Object.keys(members)) await start(id);
      const all = () => [...running.values()];
      await waitUntil(
        () => all().every((c) => c.leaderId !== undefined && c.leaderId === all()[0]!.leaderId),
        'a leader',
      );
      const follower = all().find((c) => c.role === 'follower')!;
      const term = follower.term;
      await follower.stop();

      const restarted = await start(follower.id);
      // start() does not wait for a leader: it returns with the recovered term and no leader known.
      expect([restarted.role, restarted.term, restarted.leaderId]).toEqual(['follower', term, undefined]);
      const roles: string[] = [`${restarted.role} ${restarted.term}`];
      const leaders: string[] = [`${restarted.leaderId} ${restarted.term}`];
      restarted.on('role', (role, t) => roles.push(`${role} ${t}`));
      restarted.on('leader', (leaderId, t) => leaders.push(`${leaderId} ${t}`));
      await waitUntil(() => restarted.leaderId !== undefined, 'the restarted member follows a leader');
      // Each event differs from the one before it, the first from what start() returned with:
      // learning the leader of the term it recovered is a leader event only.
      for (const seen of [roles, leaders]) {
        for (let i = 1; i < seen.length; i++) expect(seen[i], seen.join(', ')).not.toBe(seen[i - 1]);
      }
      expect(leaders.at(-1)).toBe(`${restarted.leaderId} ${restarted.term}`);
    } finally {
      // Followers first: each stop is then immediate.
      const order = [...running.values()].sort(
        (a, b) => Number(a.role === 'leader') - Number(b.role === 'leader'),
      );
      for (const cluster of order) await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
