import type { Cluster, CoordinationView } from '@baton/core';
import { monotonicNowMs } from '../chaos-protocol.js';
import { codeOf, emit, pause } from './emit.js';
import { gapMs, type WorkloadContext } from './workload-context.js';

/**
 * Registers on top of the coordination state, so forwarded writes and
 * linearizable reads can be checked as a history without a test-only state
 * machine: writing `value` to `key` grants a lease owned by
 * `reg|<key>|<value>`, and the register holds the value of the live lease
 * with the highest id (= the granting entry's index, so the order of writes
 * is the log's). A lease that never gets a keep-alive would expire, so these
 * have a TTL longer than any run. A writer revokes its own older leases of a
 * key after each write it saw acknowledged: that never changes the value
 * (its newest lease is higher), and keeps the state small.
 */
const REGISTER_TTL_MS = 24 * 3600 * 1000;
const PREFIX = 'reg|';
/** Gives up (outcome unknown for a write) after this long. */
const CALL_TIMEOUT_MS = 4000;

/** The key a register operation picks now: from the current epoch's set. */
export function registerKey(context: WorkloadContext): string {
  const { t0, workload } = context.config;
  const epoch = Math.floor((monotonicNowMs() - t0) / workload.registerEpochMs);
  return `e${epoch}k${context.rng.int(0, workload.registerKeys - 1)}`;
}

/** The value of register `key` in `view`, or null if never written. */
export function readRegister(view: CoordinationView, key: string): string | null {
  const prefix = `${PREFIX}${key}|`;
  let best: { id: number; value: string } | undefined;
  for (const lease of view.leases()) {
    if (!lease.owner.startsWith(prefix)) continue;
    if (best === undefined || lease.leaseId > best.id)
      best = { id: lease.leaseId, value: lease.owner.slice(prefix.length) };
  }
  return best?.value ?? null;
}

/** Writes and reads random registers, each recorded as an invocation and its outcome; until quiesced. */
export async function registerLoop(context: WorkloadContext, counter: { n: number }): Promise<void> {
  const { rng, quiesce } = context;
  while (!quiesce.aborted) {
    const key = registerKey(context);
    if (rng.chance(0.5)) await writeRegister(context, key, counter);
    else await readRegisterOp(context.cluster, key, counter);
    await pause(gapMs(context), quiesce);
  }
}

async function writeRegister(context: WorkloadContext, key: string, counter: { n: number }): Promise<void> {
  const { cluster, config } = context;
  const n = ++counter.n;
  // Unique per write: member, life and the write's number.
  const value = `${config.id}.${config.life}.${n}`;
  emit({ ev: 'reg-invoke', n, key, op: 'write', value });
  let leaseId: number;
  try {
    const result = await cluster.coordination.execute(
      { type: 'grantLease', ttlMs: REGISTER_TTL_MS, owner: `${PREFIX}${key}|${value}` },
      { timeoutMs: CALL_TIMEOUT_MS },
    );
    if (result.type !== 'leaseGranted') {
      // A refused command changed nothing (leases-full, state-full): certainly no effect.
      emit({
        ev: 'reg-fail',
        n,
        outcome: 'failed',
        code: result.type === 'error' ? result.code : result.type,
      });
      return;
    }
    leaseId = result.leaseId;
  } catch (error) {
    // Timed out, stopped, or a leader change in doubt: it may still take effect.
    emit({ ev: 'reg-fail', n, outcome: 'unknown', code: codeOf(error) });
    return;
  }
  emit({ ev: 'reg-ok', n, output: null });
  await revokeOlder(context, key, leaseId);
}

async function readRegisterOp(cluster: Cluster, key: string, counter: { n: number }): Promise<void> {
  const n = ++counter.n;
  emit({ ev: 'reg-invoke', n, key, op: 'read' });
  try {
    const value = await cluster.coordination.read((view) => readRegister(view, key), {
      timeoutMs: CALL_TIMEOUT_MS,
    });
    emit({ ev: 'reg-ok', n, output: value });
  } catch (error) {
    // A read changes nothing: a failed one leaves the history.
    emit({ ev: 'reg-fail', n, outcome: 'failed', code: codeOf(error) });
  }
}

/** Revokes this member's leases of `key` (from any of its lives) below `newest`. */
async function revokeOlder(context: WorkloadContext, key: string, newest: number): Promise<void> {
  const prefix = `${PREFIX}${key}|${context.config.id}.`;
  const older = context.cluster.coordination.view
    .leases()
    .filter((lease) => lease.owner.startsWith(prefix) && lease.leaseId < newest);
  for (const lease of older) {
    try {
      await context.cluster.coordination.execute(
        { type: 'revokeLease', leaseId: lease.leaseId },
        { timeoutMs: CALL_TIMEOUT_MS },
      );
    } catch (error) {
      emit({ ev: 'op-error', workload: 'register', code: codeOf(error) });
      return;
    }
  }
}

/** One linearizable read of each key, recorded like the loop's reads (the final reads of a run). */
export async function readKeys(
  cluster: Cluster,
  keys: readonly string[],
  counter: { n: number },
): Promise<void> {
  for (const key of keys) await readRegisterOp(cluster, key, counter);
}
