import { Writable } from 'node:stream';
import { Cluster } from '@baton/core';
import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';

/** A pino logger at debug level whose lines are collected as parsed objects. */
function collectingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

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
});
