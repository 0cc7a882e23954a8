/**
 * pnpm soak [--minutes 10] [--workers 16] [--reconnects 1000] [--members 3]
 *
 * Runs a Baton cluster of member processes on loopback (real fsync, dataDirs
 * in a temporary folder) with lock workers spread over the members doing
 * withLock on a fenced counter, and resets peer links through the fault
 * proxies at an even pace; samples each member's heap (after a forced GC),
 * RSS, open descriptors, WAL and snapshot bytes and applied index; then
 * prints the figures and checks them against written-down bounds
 * (soak-checks.ts). Exit code 0 when every bound held, 1 otherwise (naming
 * what exceeded which bound), 2 on bad arguments.
 */
import { runSoak } from './run-soak.js';
import { parseSoakArgs, SoakArgsError } from './soak-args.js';

let args: ReturnType<typeof parseSoakArgs>;
try {
  args = parseSoakArgs(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof SoakArgsError)) throw error;
  console.error(`pnpm soak: ${error.message}`);
  console.error('usage: pnpm soak [--minutes 10] [--workers 16] [--reconnects 1000] [--members 3]');
  process.exit(2);
}
console.log(
  `soak: ${args.members} members, ${args.workers} lock workers, ${args.reconnects} link resets over ${args.minutes} min`,
);
const started = performance.now();
const result = await runSoak({
  durationMs: args.minutes * 60_000,
  workers: args.workers,
  reconnects: args.reconnects,
  members: args.members,
  log: (line) => console.log(line),
});
console.log(`--- soak: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
for (const line of result.report) console.log(line);
for (const check of result.checks)
  console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name}: ${check.detail}`);
const failed = result.checks.filter((c) => !c.ok);
if (failed.length === 0) {
  console.log('every bound held');
  process.exit(0);
}
console.log(`${failed.length} bound(s) exceeded: ${failed.map((c) => c.name).join(', ')}`);
process.exit(1);
