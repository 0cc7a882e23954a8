import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { awaitGone, runExample, summaryOf } from '../support/run-example.js';

/** Bound on one example run: three members starting, a failover, a loaded machine. */
const RUN_MS = 90_000;

interface FencedStoreSummary {
  fenced: boolean;
  expected: number;
  balance: number;
  lost: number;
  refused: { op: string; fence: number; highest: number }[];
  lateWrites: { fence: number; from: number; to: number }[];
  pids: number[];
  dir: string;
}

interface Run {
  member: string;
  fence: number;
  entries: number;
}

interface LeaderCronSummary {
  cleanup: Run[];
  billing: Run[];
  refused: unknown[];
  failoverMs: number;
  handOverMs: number;
  pids: number[];
  dir: string;
}

/** Each (member, token) runs the job in one stretch, tokens grow: the job never ran on two members at once. */
function expectOneRunnerAtATime(runs: readonly Run[]): void {
  const keys = runs.map((r) => `${r.member}#${r.fence}`);
  expect(new Set(keys).size, `runs ${keys.join(' ')}`).toBe(keys.length);
  for (let i = 1; i < runs.length; i++) expect(runs[i]!.fence).toBeGreaterThan(runs[i - 1]!.fence);
}

describe('examples, run as a user would', () => {
  it('fenced-store: the frozen holder’s late write is refused, and no increment is lost', async () => {
    const run = await runExample('examples/fenced-store/run.ts', ['--json'], RUN_MS);
    expect(run.code, run.stderr).toBe(0);
    const s = summaryOf<FencedStoreSummary>(run);
    expect(s.fenced).toBe(true);
    expect(s.balance).toBe(s.expected);
    expect(s.lateWrites).toEqual([]);
    expect(s.refused.length).toBeGreaterThanOrEqual(1);
    for (const r of s.refused) expect(r.fence).toBeLessThan(r.highest);
    await awaitGone(s.pids, 5000);
    expect(existsSync(s.dir)).toBe(false);
    console.log(
      `fenced-store: ${s.expected} increments, balance ${s.balance}; refused ${JSON.stringify(s.refused)}`,
    );
  });

  it('leader-cron: each job runs on one member at a time; cleanup follows a killed leader, billing-cron a resignation', async () => {
    const run = await runExample('examples/leader-cron/run.ts', ['--json'], RUN_MS);
    expect(run.code, run.stderr).toBe(0);
    const s = summaryOf<LeaderCronSummary>(run);
    expectOneRunnerAtATime(s.cleanup);
    expectOneRunnerAtATime(s.billing);
    expect(new Set(s.cleanup.map((r) => r.member)).size).toBeGreaterThanOrEqual(2);
    expect(new Set(s.billing.map((r) => r.member)).size).toBeGreaterThanOrEqual(2);
    expect(s.failoverMs).toBeLessThan(5000);
    expect(s.handOverMs).toBeLessThan(2000); // the election's TTL is 3 s: a resignation does not wait for it
    await awaitGone(s.pids, 5000);
    expect(existsSync(s.dir)).toBe(false);
    const show = (runs: Run[]) => runs.map((r) => `${r.member}#${r.fence}×${r.entries}`).join(' → ');
    console.log(
      `leader-cron: cleanup ${show(s.cleanup)} (moved ${s.failoverMs} ms after kill -9); ` +
        `billing-cron ${show(s.billing)} (moved ${s.handOverMs} ms after the resignation)`,
    );
  });
});
