import { parseArgs } from 'node:util';
import { runInChildren } from './parallel-run.js';
import { formatSeed, parseSeed } from './rng.js';
import { replayCommand, runSeed, type SeedOutcome } from './run-seed.js';
import { runtimeSweep } from './runtime/runtime-sweep.js';

/**
 * `pnpm sim --seeds N [--from S] [--members 3|5]` runs N seeds and prints a
 * summary; `pnpm sim --seed 0x… [--members 3|5]` replays one seed exactly.
 * With `--runtime`, the seeds are random fault schedules against the
 * production runtime (runtime/runtime-scenario.ts) instead of the core.
 * On failure it prints each failing seed with its replay command, the trace
 * tail of the first failure, and exits with code 1.
 */
async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      seeds: { type: 'string' },
      from: { type: 'string' },
      seed: { type: 'string' },
      members: { type: 'string' },
      jobs: { type: 'string' },
      runtime: { type: 'boolean' },
      locks: { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(
      'usage: pnpm sim [--runtime] --seeds N [--from S] [--members 3|5] [--jobs J]   |   ' +
        'pnpm sim [--runtime] --seed 0x… [--members 3|5]\n' +
        '  --runtime: random fault schedules against the production runtime (RuntimeSim) instead of the core\n' +
        '  --locks on|off: with --runtime, the lock workload in every seed or none (default: drawn per seed)',
    );
    return 0;
  }
  const members = values.members === undefined ? 3 : Number.parseInt(values.members, 10);
  const seeds =
    values.seed !== undefined
      ? [parseSeed(values.seed)]
      : range(parseSeed(values.from ?? '1'), parseSeed(values.seeds ?? '100'));
  if (values.runtime) {
    if (members !== 3 && members !== 5) throw new Error('--runtime takes --members 3 or 5');
    if (values.jobs !== undefined) throw new Error('--runtime runs in one process: drop --jobs');
    if (values.locks !== undefined && values.locks !== 'on' && values.locks !== 'off') {
      throw new Error('--locks takes on or off');
    }
    return runtimeSweep(seeds, members, values.locks === undefined ? {} : { locks: values.locks === 'on' });
  }
  const started = performance.now();
  const jobs = values.jobs === undefined ? 1 : Number.parseInt(values.jobs, 10);
  if (jobs > 1 && seeds.length > 1) return runParallel(seeds[0]!, seeds.length, members, jobs, started);
  const failures: SeedOutcome[] = [];
  for (const seed of seeds) {
    const outcome = runSeed({ seed, members });
    if (!outcome.ok) {
      failures.push(outcome);
      console.log(
        `seed=${formatSeed(seed)} FAILED (${outcome.invariant ?? 'exception'}): ${replayCommand(seed, members)}`,
      );
    } else if (seeds.length === 1) {
      const r = outcome.result;
      console.log(
        `seed=${formatSeed(seed)} ok: ${r.events} events, ${r.simulatedMs.toFixed(0)} ms simulated, ` +
          `${r.acked}/${r.proposals} proposals acked, ${r.readsChecked} reads checked, liveness in ${r.livenessTicks} ticks, trace ${r.traceHash}`,
      );
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `seeds=${seeds.length} passed=${seeds.length - failures.length} failed=${failures.length} ` +
      `members=${members} time=${seconds.toFixed(1)}s seeds/s=${(seeds.length / seconds).toFixed(2)}`,
  );
  const first = failures[0];
  if (first && !first.ok) {
    console.log(first.report);
    return 1;
  }
  return 0;
}

/** `--jobs J`: the same seeds, split over J child processes (one per core). */
async function runParallel(
  from: number,
  count: number,
  members: number,
  jobs: number,
  started: number,
): Promise<number> {
  const chunks = await runInChildren(from, count, members, jobs);
  const failed = chunks.reduce((n, c) => n + c.failed, 0);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `seeds=${count} passed=${count - failed} failed=${failed} members=${members} jobs=${jobs} ` +
      `time=${seconds.toFixed(1)}s seeds/s=${(count / seconds).toFixed(2)}`,
  );
  const first = chunks.find((c) => c.failed > 0);
  if (first) {
    console.log(first.report);
    return 1;
  }
  return 0;
}

function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

// `pnpm sim … | head` closes the pipe early: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
