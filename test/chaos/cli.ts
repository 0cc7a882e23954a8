/**
 * pnpm chaos [--seconds N] [--seed S] [--members M]
 *
 * Runs a Baton cluster of M member processes (default 5) on loopback with
 * every peer link behind a fault-injecting proxy, for N seconds of faults
 * (default 60) drawn from seed S (default: random, printed), with every
 * workload running on every member; then heals, checks, and prints what it
 * did. Exit code 0 when no anomaly was found, 1 otherwise (with the seed and
 * the replay command), 2 on bad arguments.
 */
import { parseArgs } from 'node:util';
import { formatSeed, parseSeed } from '../../packages/core/src/sim/rng.js';
import { runChaos } from './run-chaos.js';

function options(): { seed: number; seconds: number; members: number } {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string' },
      members: { type: 'string', default: '5' },
    },
  });
  const seconds = Number(values.seconds);
  const members = Number(values.members);
  if (!Number.isInteger(seconds) || seconds < 2)
    throw new RangeError(`--seconds must be an integer >= 2, got ${values.seconds}`);
  if (!Number.isInteger(members) || members < 3 || members > 9) {
    throw new RangeError(`--members must be an integer from 3 to 9, got ${values.members}`);
  }
  const seed = values.seed === undefined ? Math.floor(Math.random() * 0xffff_ffff) : parseSeed(values.seed);
  return { seed, seconds, members };
}

let parsed: ReturnType<typeof options>;
try {
  parsed = options();
} catch (error) {
  console.error(String(error));
  process.exit(2);
}
const started = performance.now();
const result = await runChaos({ ...parsed, log: (line) => console.log(line) });
console.log(
  `--- chaos seed=${formatSeed(result.seed)}, ${((performance.now() - started) / 1000).toFixed(1)} s in all`,
);
for (const line of result.summary) console.log(line);
if (result.anomalies.length === 0) {
  console.log('anomalies: none');
  process.exit(0);
}
console.log(`ANOMALIES (${result.anomalies.length}):`);
for (const a of result.anomalies.slice(0, 20)) console.log(`- ${a.check}: ${a.detail}`);
console.log(`seed=${formatSeed(result.seed)} FAILED; replay the schedule with: ${result.replay}`);
process.exit(1);
