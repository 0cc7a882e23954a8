import { describe, expect, it } from 'vitest';
import type { Sample } from './resource-sampler.js';
import {
  BOUNDS,
  checkFds,
  checkFlat,
  checkProgress,
  checkReconnects,
  checkWal,
  walBound,
} from './soak-checks.js';

const MIB = 1024 * 1024;

function sample(over: Partial<Sample>): Sample {
  return {
    atMs: 0,
    heapUsed: 10 * MIB,
    gcForced: true,
    rss: 100 * MIB,
    fds: 31,
    walBytes: 0,
    walSegments: 1,
    snapshotBytes: 0,
    walBytesWritten: 0,
    appliedIndex: 0,
    ...over,
  };
}

describe('checkWal', () => {
  const limits = { segmentBytesMax: 64 * 1024, snapshotEntries: 1000 };

  it('derives the bound from the segment size and the bytes of the entries between two snapshots', () => {
    expect(walBound(limits, 40)).toBe(2 * 64 * 1024 + 2 * 1000 * 40);
  });

  it('passes a WAL that stayed under the bound while far more was written', () => {
    const samples = [
      sample({ walBytes: 100 * 1024, walBytesWritten: 200 * 1024, appliedIndex: 5000 }),
      sample({ walBytes: 30 * 1024, walBytesWritten: 4000 * 1024, appliedIndex: 100_000 }),
    ];
    expect(checkWal('n1', samples, limits).ok).toBe(true);
  });

  it('fails a WAL that grew past the bound at any sample', () => {
    const samples = [
      sample({ walBytes: 900 * 1024, walBytesWritten: 900 * 1024, appliedIndex: 20_000 }),
      sample({ walBytes: 30 * 1024, walBytesWritten: 4000 * 1024, appliedIndex: 100_000 }),
    ];
    const check = checkWal('n1', samples, limits);
    expect(check.ok).toBe(false);
    expect(check.name).toBe('n1 WAL bounded');
  });

  it('fails a run that wrote less than the bound: it shows nothing about compaction', () => {
    const samples = [sample({ walBytes: 10 * 1024, walBytesWritten: 10 * 1024, appliedIndex: 250 })];
    expect(checkWal('n1', samples, limits).ok).toBe(false);
  });
});

describe('checkFlat', () => {
  const id = (n: number): string => String(n);

  it('compares the medians of the second and the last third, ignoring the warm-up third', () => {
    const warmUp = [1, 50, 100];
    expect(checkFlat('x', [...warmUp, 10, 11, 10, 12, 11, 12], 2, id).ok).toBe(true);
    expect(checkFlat('x', [...warmUp, 10, 11, 10, 14, 13, 14], 2, id).ok).toBe(false);
  });

  it('passes a shrinking series', () => {
    expect(checkFlat('x', [9, 9, 20, 20, 20, 5, 5, 5, 5], 0, id).ok).toBe(true);
  });

  it('fails when there are too few samples to compare thirds', () => {
    expect(checkFlat('x', [1, 1, 1, 1, 1], 10, id).ok).toBe(false);
  });
});

describe('checkFds', () => {
  it(`allows the end at most ${BOUNDS.fdsSlack} above the start`, () => {
    expect(checkFds('n1', sample({ fds: 31 }), sample({ fds: 31 + BOUNDS.fdsSlack }), 40).ok).toBe(true);
    expect(checkFds('n1', sample({ fds: 31 }), sample({ fds: 32 + BOUNDS.fdsSlack }), 40).ok).toBe(false);
  });

  it('passes, saying so, where descriptors cannot be counted', () => {
    const check = checkFds('n1', sample({ fds: null }), sample({ fds: null }), null);
    expect(check.ok).toBe(true);
    expect(check.detail).toContain('not measured');
  });
});

describe('checkReconnects and checkProgress', () => {
  it('counts the reconnects the members logged, not the resets made', () => {
    expect(checkReconnects(999, 1000, 1000).ok).toBe(false);
    expect(checkReconnects(1003, 1000, 1000).ok).toBe(true);
  });

  it('wants acknowledged increments in every third of the run', () => {
    const steady = [0, 1, 2, 3, 4, 5, 6].map((t) => ({ atMs: t * 1000, ok: t * 10 }));
    expect(checkProgress(steady).ok).toBe(true);
    const stalled = [0, 1, 2, 3, 4, 5, 6].map((t) => ({ atMs: t * 1000, ok: Math.min(t, 3) * 10 }));
    expect(checkProgress(stalled).ok).toBe(false);
  });
});
