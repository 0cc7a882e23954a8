import { describe, expect, it } from 'vitest';
import { runSoak } from '../soak/run-soak.js';

/**
 * A short slice of the soak run (see test/soak/cli.ts) in the default test
 * run: three member processes, four lock workers, a hundred link resets, and
 * the same bounds as `pnpm soak --minutes 10`. The WAL segment and snapshot
 * interval are scaled down with the run (1 KiB, 10 entries) so that segments
 * roll over and are compacted within it even on a loaded machine, where the
 * workers may commit only a few hundred entries; everything else is as in the long
 * run. It costs about 35 s.
 */
describe('soak', () => {
  it('keeps the WAL, heap and descriptors bounded through 100 reconnects', { timeout: 180_000 }, async () => {
    const lines: string[] = [];
    const result = await runSoak({
      durationMs: 25_000,
      workers: 4,
      reconnects: 100,
      members: 3,
      storage: { segmentBytesMax: 1024, snapshotEntries: 10 },
      log: (line) => lines.push(line),
    });
    const report = [
      ...lines,
      ...result.report,
      ...result.checks.map((c) => `${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`),
    ].join('\n');
    expect(
      result.checks.filter((c) => !c.ok),
      report,
    ).toEqual([]);
    expect(result.record.incOutcomes.ok).toBeGreaterThan(0);
  });
});
