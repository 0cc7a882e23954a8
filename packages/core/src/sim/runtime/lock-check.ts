import type { MemberId } from '../../raft/types.js';
import type { LockSpace } from '../../state/coordination-commands.js';
import { Fingerprint } from '../hash.js';
import { formatSeed, type Rng } from '../rng.js';
import type { AppliedEffectsStats } from './applied-effects.js';
import type { LockWorkload, LockWorkloadCounts } from './lock-workload.js';
import type { RuntimeSim } from './runtime-sim.js';

/** What the lock workload did in one run, and what the history held. */
export interface LockStats extends LockWorkloadCounts, AppliedEffectsStats {
  /** Virtual ms from the end of the faults until every lock was free on every member. */
  readonly quietAfterMs: number;
  /** Grants acknowledged to clients, each checked against the applied history. */
  readonly grantsChecked: number;
  /** A fingerprint of every acknowledged grant and release, in order: equal runs have equal ones. */
  readonly fingerprint: string;
}

/**
 * The checks of the lock workload once the faults are healed and every
 * member runs (issue 10 and 11, "Proof: Simulation"), each within a budget
 * of virtual time:
 * - the clients stop (unlimited waits are aborted) and finish, releasing
 *   what they hold;
 * - nothing is left behind: once the leases of crashed incarnations have
 *   expired, every member has applied the same index and holds no lock,
 *   election or waiter at all — live leases stay kept alive, so a wait
 *   cancelled nowhere, or a grant of a request given up on that nobody
 *   released, would stay; and every member's whole coordination state is
 *   byte for byte the same;
 * - no acknowledged grant lost: each is in the applied history (an entry at
 *   its token's index granted it, to its lease), which every member applied
 *   (entry by entry the same, AppliedEffects);
 * - no acknowledged release lost: the history released that grant (reason
 *   'released'), and the lock's next grant comes from that entry or a later
 *   one; a release answered BATON_NOT_HELD found a grant its lease had ended;
 * - liveness: a fresh lock is acquired and a fresh election won, and every
 *   lock and election of the workload is acquired again, within the budget.
 * Returns the first failure, naming the seed, or the figures.
 */
export async function settleAndCheckLocks(
  sim: RuntimeSim,
  workload: LockWorkload,
  members: readonly MemberId[],
  budgetMs: number,
  rng: Rng,
): Promise<{ failure: string } | { stats: LockStats }> {
  const fail = (what: string) => ({ failure: `seed=${formatSeed(sim.opts.seed)}: ${what}` });
  const fromMs = sim.nowMs;
  workload.stop();
  // Loss goes on after healing: a forwarded command (a lease grant, an acquire, a release) whose request
  // or answer is lost is sent again one answer timeout later, and a client's last acquire and its release
  // may each lose one (a release applied everywhere still waits out its lost answer).
  const busyBudgetMs = budgetMs + 2 * sim.answerTimeoutMs;
  if (!(await sim.runUntilTrue(() => workload.idle, busyBudgetMs))) {
    return fail(`lock clients still busy ${busyBudgetMs} ms after healing: ${workload.busy()}`);
  }
  // Leases of crashed incarnations expire one TTL after the leader last restarted them.
  const quietBudgetMs = budgetMs + 3 * workload.opts.ttlMs;
  if (!(await sim.runUntilTrue(() => quiet(sim, members), quietBudgetMs))) {
    return fail(`left behind ${quietBudgetMs} ms after the clients stopped: ${leftovers(sim, members)}`);
  }
  const quietAfterMs = sim.nowMs - fromMs;
  const states = members.map((id) => bytesKey(sim.coordinationState(id)!.snapshot()));
  const differing = members.find((_, i) => states[i] !== states[0]);
  if (differing !== undefined) return fail(`${differing}'s coordination state differs from ${members[0]}'s`);
  const lost = lostAcknowledgements(sim, workload);
  if (lost !== undefined) return fail(lost);
  // Loss goes on after healing: a lease grant whose answer is lost is retried in doubt one answer
  // timeout later and may come back already expired, so a new lease is granted; each take may need
  // a few TTLs beyond the write path's budget.
  const stuck = await liveness(sim, workload, members, budgetMs + 3 * workload.opts.ttlMs, rng);
  if (stuck !== undefined) return fail(stuck);
  const fingerprint = new Fingerprint();
  for (const g of workload.held.acknowledged) fingerprint.add(`${g.describe()} at ${g.ackedAtUs}`);
  for (const r of workload.releases) fingerprint.add(`${r.grant.describe()} ${r.outcome}`);
  return {
    stats: {
      ...workload.counts,
      ...sim.effects.stats(),
      quietAfterMs,
      grantsChecked: workload.held.acknowledged.length,
      fingerprint: fingerprint.hex(),
    },
  };
}

/** Every member applied the same index, and none holds a lock, an election or a waiter. */
function quiet(sim: RuntimeSim, members: readonly MemberId[]): boolean {
  const applied = sim.loop(members[0]!)?.status().appliedIndex;
  for (const id of members) {
    const status = sim.loop(id)?.status();
    if (!status || status.appliedIndex !== applied || status.commitIndex !== applied) return false;
    const summary = sim.coordinationState(id)?.summary(0);
    if (!summary || summary.locks + summary.elections > 0) return false;
  }
  return true;
}

function leftovers(sim: RuntimeSim, members: readonly MemberId[]): string {
  return members
    .map((id) => {
      const state = sim.coordinationState(id);
      const listed = state?.summary(5).listed ?? [];
      const held = listed.map(
        (l) =>
          `${l.space}:${l.name} held by lease ${l.holder.leaseId} of ${l.holder.owner} ` +
          `(token ${l.holder.fencingToken}), ${l.waiters} waiting`,
      );
      return `${id} (applied ${sim.loop(id)?.status().appliedIndex}): ${held.join('; ') || 'nothing'}`;
    })
    .join(' | ');
}

/** The first acknowledged grant or release the applied history does not bear out. */
function lostAcknowledgements(sim: RuntimeSim, workload: LockWorkload): string | undefined {
  const { effects } = sim;
  for (const g of workload.held.acknowledged) {
    const applied = effects.grant(g.space, g.name, g.fencingToken);
    if (applied?.leaseId !== g.leaseId) return `acknowledged grant lost: ${g.describe()}`;
  }
  for (const { grant: g, outcome } of workload.releases) {
    if (outcome === 'crashed') continue;
    const end = effects.end(g.space, g.name, g.fencingToken);
    if (end === undefined) return `acknowledged release lost (${outcome}): ${g.describe()} never ended`;
    if (outcome === 'released' && end.reason !== 'released') {
      return `release of ${g.describe()} answered released, but the grant ended ${end.reason} at ${end.index}`;
    }
    if (outcome === 'not-held' && end.reason === 'released') {
      return `release of ${g.describe()} answered BATON_NOT_HELD, but it was released at ${end.index}`;
    }
    const next = effects.nextGrant(g.space, g.name, g.fencingToken);
    if (next !== undefined && next.index < end.index) {
      return `${g.describe()} ended at ${end.index}, but the next grant came at ${next.index}`;
    }
  }
  return undefined;
}

/** A fresh lock and election, then every lock and election of the workload, each taken within the budget. */
async function liveness(
  sim: RuntimeSim,
  workload: LockWorkload,
  members: readonly MemberId[],
  budgetMs: number,
  rng: Rng,
): Promise<string | undefined> {
  const wanted: [LockSpace, string][] = [
    ['lock', 'liveness'],
    ['election', 'liveness'],
    ...workload.opts.lockNames.map((n): [LockSpace, string] => ['lock', n]),
    ...workload.opts.electionNames.map((n): [LockSpace, string] => ['election', n]),
  ];
  for (const [space, name] of wanted) {
    const member = rng.pick(members);
    const client = workload.client(member, 'liveness');
    if (!client) return `${member} is not running for the liveness check`;
    const startMs = sim.nowMs;
    const failures: string[] = [];
    let granted: boolean | undefined;
    // Tried again while the budget lasts: with a TTL near the minimum, one lost answer can make a
    // fresh lease arrive expired (its grant outlived the TTL), and the recipe asks for a new one once.
    void (async () => {
      while (sim.nowMs - startMs < budgetMs) {
        const left = budgetMs - (sim.nowMs - startMs);
        const grant = await workload.acquire(client, space, name, 'wait', rng, left);
        if (grant) {
          await workload.release(client, grant);
          granted = true;
          return;
        }
        failures.push(workload.lastFailure);
        await new Promise<void>((resolve) => sim.after(10, resolve)); // a failure at once must not spin
      }
      granted = false;
    })();
    await sim.runUntilTrue(() => granted !== undefined, budgetMs + 1000);
    if (granted !== true) {
      const why = failures.length > 0 ? failures.join('; ') : 'no answer';
      return `${space}:${name} not ${space === 'lock' ? 'acquired' : 'won'} on ${member} within ${budgetMs} ms after healing (${why}; from ${startMs.toFixed(0)} ms)`;
    }
  }
  return undefined;
}

function bytesKey(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}
