import type { HeldLock, Locks } from '@baton/lock';
import { codeOf, emit, pause } from './emit.js';
import { watchValidity } from './validity-watch.js';
import { gapMs, type WorkloadContext } from './workload-context.js';

/** Chance that a holder writes without checking `valid` again after its read, as careless code would. */
const CARELESS_CHANCE = 0.5;
/** Chance that a holder dawdles between its read and its write (up to the lock's TTL), unless configured. */
const DAWDLE_CHANCE = 0.1;

/**
 * One withLock worker: takes a random lock, reads the fenced counter and
 * writes it back plus one (a compare-and-set), checking `held.valid` before
 * each access — except a careless holder, which writes without checking
 * again, so that a lock lost between read and write (the harness freezes
 * holders there) shows up as a stale token the store refuses.
 */
export async function lockWorker(context: WorkloadContext, locks: Locks): Promise<void> {
  const { rng, quiesce, config } = context;
  while (!quiesce.aborted) {
    const name = rng.pick(config.workload.lockNames);
    const careless = rng.chance(CARELESS_CHANCE);
    const dawdleMs = rng.chance(config.workload.dawdleChance ?? DAWDLE_CHANCE)
      ? rng.int(0, config.workload.lockTtlMs)
      : 0;
    try {
      await locks.withLock(name, (held) => incrementUnder(context, held, careless, dawdleMs), {
        waitMs: 4000,
        signal: quiesce,
      });
    } catch (error) {
      if (!quiesce.aborted) emit({ ev: 'op-error', workload: 'lock', code: codeOf(error) });
    }
    await pause(gapMs(context), quiesce);
  }
}

async function incrementUnder(
  context: WorkloadContext,
  held: HeldLock,
  careless: boolean,
  dawdleMs: number,
): Promise<void> {
  const { name, fencingToken: token } = held;
  const stopWatch = new AbortController();
  const watching = watchValidity(held, 'lock', name, token, stopWatch.signal);
  try {
    if (!held.valid) {
      emit({ ev: 'inc', name, token, outcome: 'not-valid' });
      return;
    }
    const read = await context.store.read(name, token, careless);
    if (!read.ok) {
      emit({ ev: 'inc', name, token, outcome: read.refusal });
      return;
    }
    if (dawdleMs > 0) await pause(dawdleMs, context.quiesce);
    if (!careless && !held.valid) {
      emit({ ev: 'inc', name, token, outcome: 'not-valid' });
      return;
    }
    const write = await context.store.increment(name, token, read.value);
    emit({ ev: 'inc', name, token, outcome: write.ok ? 'ok' : write.refusal });
  } finally {
    stopWatch.abort();
    await watching;
  }
}
