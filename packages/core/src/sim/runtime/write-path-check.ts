import type { MemberId } from '../../raft/types.js';
import { Fingerprint } from '../hash.js';
import { checkLinearizable } from '../linearizability.js';
import { registerModel } from '../register-model.js';
import { formatSeed } from '../rng.js';
import type { KvWorkload, OpOutcome } from './kv-workload.js';
import type { RuntimeSim } from './runtime-sim.js';

/** What the write-path workload did in one run. */
export interface WritePathStats {
  readonly operations: number;
  readonly ackedWrites: number;
  readonly okReads: number;
  /** Operations whose outcome stayed unknown (timeouts, crashes). */
  readonly unknown: number;
  readonly searchSteps: number;
  /** A fingerprint of the whole history (operations, outcomes, order): equal runs have equal ones. */
  readonly historyHash: string;
}

/**
 * The liveness phase and the checks of the write-path workload, once the
 * faults are healed and every member runs, each within `budgetMs` of virtual
 * time: the clients stop and their last operations settle; a fresh write
 * through the leader succeeds; every acknowledged write is applied on every
 * member (none lost); a linearizable read of every register on every member
 * succeeds; and the whole history, final reads included, is linearizable.
 * (A write applied twice is caught as it happens, by KvRegisterMachine.)
 * Returns the first failure, naming the seed, or the run's figures.
 */
export async function settleAndCheckWritePath(
  sim: RuntimeSim,
  workload: KvWorkload,
  members: readonly MemberId[],
  budgetMs: number,
): Promise<{ failure: string } | { stats: WritePathStats }> {
  const fail = (what: string) => ({ failure: `seed=${formatSeed(sim.opts.seed)}: ${what}` });
  workload.stop();
  if (!(await sim.runUntilTrue(() => workload.idle, budgetMs))) {
    return fail(`client operations still waited for ${budgetMs} ms after healing`);
  }
  // Final operations are retried until they succeed: message loss may still fail one attempt.
  const endMs = sim.nowMs + budgetMs;
  const write = await runToEnd(sim, budgetMs, [
    retrying(sim, endMs, () => {
      const leader = sim.validHolders()[0] ?? members[0]!;
      return workload.run('final', leader, 'k0', { op: 'write', value: workload.newValue('final') });
    }),
  ]);
  if (write[0]?.outcome !== 'ok') return fail(`the final write through the leader ended ${show(write[0])}`);
  const acked = workload.ackedValues();
  const missing = () =>
    members.flatMap((id) => acked.filter((v) => !sim.kv(id).hasApplied(v)).map((v) => `${v} on ${id}`));
  if (!(await sim.runUntilTrue(() => missing().length === 0, budgetMs))) {
    const lost = missing();
    return fail(
      `acknowledged writes lost: ${lost.slice(0, 5).join(', ')}${lost.length > 5 ? ` (${lost.length} in all)` : ''}`,
    );
  }
  const reads = members.flatMap((id) =>
    workload.keys.map((key) => ({
      id,
      key,
      outcome: retrying(sim, sim.nowMs + budgetMs, () => workload.run('final', id, key, { op: 'read' })),
    })),
  );
  const outcomes = await runToEnd(
    sim,
    budgetMs,
    reads.map((r) => r.outcome),
  );
  const failedRead = reads.findIndex((_, i) => outcomes[i]?.outcome !== 'ok');
  if (failedRead >= 0) {
    const r = reads[failedRead]!;
    return fail(`the final read of ${r.key} on ${r.id} ended ${show(outcomes[failedRead])}`);
  }
  const history = workload.history.operations();
  const verdict = checkLinearizable(history, registerModel);
  if (!verdict.ok)
    return fail(
      `history ${verdict.kind === 'bounds' ? 'check out of bounds' : 'not linearizable'}: ${verdict.report}`,
    );
  const completed = workload.history.completed();
  return {
    stats: {
      operations: history.length,
      ackedWrites: acked.length,
      okReads: completed.length - acked.length,
      unknown: history.filter((op) => !op.completed).length,
      searchSteps: verdict.steps,
      historyHash: history.reduce((f, op) => f.add(JSON.stringify(op)), new Fingerprint()).hex(),
    },
  };
}

/** Runs `attempt` again until it succeeds or the virtual time `endMs` passed; resolves with the last outcome. */
async function retrying(
  sim: RuntimeSim,
  endMs: number,
  attempt: () => Promise<OpOutcome>,
): Promise<OpOutcome> {
  for (;;) {
    const outcome = await attempt();
    if (outcome.outcome === 'ok' || sim.nowMs >= endMs) return outcome;
  }
}

/** Runs the simulation until every operation settled or `budgetMs` passed; unsettled ones are undefined. */
async function runToEnd(
  sim: RuntimeSim,
  budgetMs: number,
  ops: readonly Promise<OpOutcome>[],
): Promise<(OpOutcome | undefined)[]> {
  const outcomes: (OpOutcome | undefined)[] = ops.map(() => undefined);
  ops.forEach((p, i) => void p.then((o) => (outcomes[i] = o)));
  await sim.runUntilTrue(() => outcomes.every((o) => o !== undefined), budgetMs);
  return outcomes;
}

function show(o: OpOutcome | undefined): string {
  return o === undefined ? 'unsettled' : `${o.outcome}${o.code !== undefined ? ` (${o.code})` : ''}`;
}
