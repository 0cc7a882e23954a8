import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import type { CoordinationCommand, LockSpace } from '../../src/state/coordination-commands.js';
import type { CoordinationLimits } from '../../src/state/coordination-limits.js';
import { lockKey } from '../../src/state/coordination-tables.js';
import { Driver, type Step } from './coordination-driver.js';

/**
 * Random command sequences against what the effects and results promise:
 * at most one holder per lock, tokens strictly increasing per lock and equal
 * to the granting entry's index, waiters granted oldest first, nothing of an
 * ended lease left behind, refusals changing nothing — and a member restored
 * from a snapshot mid-sequence answering every later command exactly as the
 * one that never restored. `BATON_SEED=0x…` replays one seed.
 */

const NAMES: readonly [LockSpace, string][] = [
  ['lock', 'a'],
  ['lock', 'b'],
  ['lock', 'c'],
  ['election', 'a'],
];
const STEPS = 300;
const SEEDS = process.env.BATON_SEED ? [Number(process.env.BATON_SEED)] : range(1, 150);
/** Small enough that full tables are part of the sequences. */
const LIMITS: CoordinationLimits = {
  leasesMax: 5,
  locksMax: 3,
  waitersPerLockMax: 3,
  stateBytesMax: 1 << 20,
};

/** Plain assertions: this runs ~100,000 times, where expect() would dominate the run time. */
function same(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) {
    throw new Error(`${what}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`);
  }
}

function ok(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** What the effects said so far: the oracle the state's reads and later effects are held to. */
class Model {
  readonly holders = new Map<string, { leaseId: number; fencingToken: number }>();
  readonly queues = new Map<string, { waiterId: number; leaseId: number }[]>();
  readonly lastToken = new Map<string, number>();
  /** The request each holder's grant answered, for cancels that race a grant. */
  readonly grantedRequests = new Map<string, { waiterId: number; leaseId: number }>();
  readonly leases = new Set<number>();
  readonly knownLeases: number[] = [];
  readonly oldTokens: { key: string; leaseId: number; fencingToken: number }[] = [];

  observe(command: CoordinationCommand, step: Step): void {
    const { result, effects, index } = step;
    this.checkResult(command, step);
    if (result?.type === 'queued' && command.type === 'acquire') {
      const key = lockKey(command.space, command.name);
      this.queue(key).push({ waiterId: result.waiterId, leaseId: command.leaseId });
    }
    if (result?.type === 'error') same(effects, [], 'a refusal has no effects');
    for (const e of effects) {
      same(e.index, index, 'effect index');
      if (e.type === 'leaseGranted') {
        this.leases.add(e.leaseId);
        this.knownLeases.push(e.leaseId);
      } else if (e.type === 'leaseEnded') this.leases.delete(e.leaseId);
      else {
        const key = lockKey(e.space, e.name);
        if (e.type === 'released') {
          same(
            { leaseId: e.leaseId, fencingToken: e.fencingToken },
            this.holders.get(key),
            `release of ${key}`,
          );
          this.holders.delete(key);
          this.oldTokens.push({ key, leaseId: e.leaseId, fencingToken: e.fencingToken });
        } else if (e.type === 'waitEnded') {
          const queue = this.queue(key);
          const at = queue.findIndex((w) => w.waiterId === e.waiterId);
          ok(at >= 0, `waitEnded of ${e.waiterId}, not waiting for ${key}`);
          queue.splice(at, 1);
        } else {
          // Mutual exclusion, and a token that is this entry's index and above every earlier one.
          ok(!this.holders.has(key), `${key} granted while held`);
          same(e.fencingToken, index, `token of ${key}`);
          ok(
            e.fencingToken > (this.lastToken.get(key) ?? 0),
            `${key}: token ${e.fencingToken} not increasing`,
          );
          this.lastToken.set(key, e.fencingToken);
          this.holders.set(key, { leaseId: e.leaseId, fencingToken: e.fencingToken });
          this.grantedRequests.set(key, { waiterId: e.waiterId, leaseId: e.leaseId });
          // FIFO: a grant to a waiter goes to the oldest one.
          if (e.waiterId !== index) {
            const oldest = this.queue(key).shift();
            same({ waiterId: e.waiterId, leaseId: e.leaseId }, oldest, `${key} granted out of FIFO order`);
          }
        }
      }
    }
  }

  /** The answer is the one the model (the state before this entry) calls for. */
  private checkResult(command: CoordinationCommand, { result, index }: Step): void {
    const full = result?.type === 'error' && result.code.endsWith('-full');
    if (command.type === 'grantLease') {
      if (!full) same(result, { type: 'leaseGranted', leaseId: index, ttlMs: command.ttlMs }, 'grantLease');
      return;
    }
    const alive = this.leases.has(command.leaseId);
    if (command.type === 'revokeLease' || command.type === 'expireLease') {
      same(result?.type, alive ? 'leaseEnded' : 'error', `${command.type} of ${command.leaseId}`);
      return;
    }
    const key = lockKey(command.space, command.name);
    const holder = this.holders.get(key);
    if (command.type === 'acquire') {
      const expected = !alive
        ? { type: 'error', code: 'unknown-lease' }
        : !holder
          ? { type: 'granted', fencingToken: index }
          : command.wait
            ? { type: 'queued', waiterId: index }
            : { type: 'held', holder };
      if (!full)
        same(result?.type === 'error' ? { type: 'error', code: result.code } : result, expected, 'acquire');
    } else if (command.type === 'release') {
      // Released exactly when (leaseId, fencingToken) is the current grant: never an older one.
      const mine = holder?.leaseId === command.leaseId && holder.fencingToken === command.fencingToken;
      same(result?.type === 'error' ? result.code : result?.type, mine ? 'released' : 'not-held', 'release');
    } else {
      const waiting = this.queue(key).some(
        (w) => w.waiterId === command.waiterId && w.leaseId === command.leaseId,
      );
      const request = this.grantedRequests.get(key);
      const granted = holder && request?.waiterId === command.waiterId && request.leaseId === command.leaseId;
      const expected = waiting
        ? { type: 'cancelled' }
        : granted
          ? { type: 'alreadyGranted', fencingToken: holder.fencingToken }
          : { type: 'notWaiting' };
      same(result, expected, 'cancel');
    }
  }

  queue(key: string): { waiterId: number; leaseId: number }[] {
    const queue = this.queues.get(key) ?? [];
    this.queues.set(key, queue);
    return queue;
  }

  /** The state's reads agree with the model, and nothing belongs to an ended lease. */
  check(d: Driver): void {
    for (const [space, name] of NAMES) {
      const key = lockKey(space, name);
      const holder = d.state.holder(space, name);
      const held = holder && { leaseId: holder.leaseId, fencingToken: holder.fencingToken };
      same(held, this.holders.get(key), `holder of ${key}`);
      const waiters = d.state.waiters(space, name).map((w) => ({ waiterId: w.waiterId, leaseId: w.leaseId }));
      same(waiters, this.queue(key), `waiters of ${key}`);
      ok(holder !== undefined || waiters.length === 0, `${key} has waiters but no holder`);
      for (const w of [...waiters, ...(holder ? [holder] : [])]) {
        ok(this.leases.has(w.leaseId), `${key}: a request of ended lease ${w.leaseId}`);
      }
    }
    same(
      d.state.leases().map((l) => l.leaseId),
      [...this.leases].sort((x, y) => x - y),
      'live leases',
    );
  }
}

function randomCommand(rng: Rng, model: Model): CoordinationCommand {
  // Mostly a live lease; else one that ended, or one that never existed.
  const live = [...model.leases];
  const leaseId = () => {
    const roll = rng.int(0, 99);
    if (live.length > 0 && roll < 80) return rng.pick(live);
    if (model.knownLeases.length > 0 && roll < 95) return rng.pick(model.knownLeases);
    return rng.int(1, 1000);
  };
  const [space, name] = rng.pick(NAMES);
  const key = lockKey(space, name);
  const roll = rng.int(0, 99);
  if (roll < 10) return { type: 'grantLease', ttlMs: rng.int(1, 10_000), owner: `n${rng.int(1, 3)}` };
  if (roll < 16) return { type: rng.chance(0.5) ? 'revokeLease' : 'expireLease', leaseId: leaseId() };
  if (roll < 55) {
    const value = rng.chance(0.3) ? { value: `v${rng.int(0, 9)}` } : {};
    return { type: 'acquire', space, name, leaseId: leaseId(), wait: rng.chance(0.75), ...value };
  }
  if (roll < 85) {
    // Mostly the holder's own release; else a stale one (an older grant's token) or a made-up one.
    const holder = model.holders.get(key);
    const old = model.oldTokens.filter((t) => t.key === key);
    const pick =
      holder && rng.chance(0.7)
        ? holder
        : old.length > 0 && rng.chance(0.7)
          ? rng.pick(old)
          : { leaseId: leaseId(), fencingToken: rng.int(1, 1000) };
    return { type: 'release', space, name, leaseId: pick.leaseId, fencingToken: pick.fencingToken };
  }
  // Mostly a waiting request; else the holder's own (a cancel that lost the race with its grant), or made up.
  const queue = model.queue(key);
  const granted = model.holders.has(key) ? model.grantedRequests.get(key) : undefined;
  const roll2 = rng.int(0, 99);
  const waiter =
    queue.length > 0 && roll2 < 60
      ? rng.pick(queue)
      : granted && roll2 < 85
        ? granted
        : { waiterId: rng.int(1, 1000), leaseId: leaseId() };
  return { type: 'cancel', space, name, leaseId: waiter.leaseId, waiterId: waiter.waiterId };
}

/** How often each result and effect type came up over all seeds: proof the sequences reach the cases. */
const seen = new Map<string, number>();

function tally(step: Step): void {
  const kinds = [step.result?.type === 'error' ? step.result.code : String(step.result?.type)];
  for (const e of step.effects)
    kinds.push(e.type === 'granted' && e.waiterId !== e.index ? 'grantedWaiter' : e.type);
  for (const kind of kinds) seen.set(kind, (seen.get(kind) ?? 0) + 1);
}

function runSeed(seed: number): void {
  const rng = Rng.fromSeed(seed);
  const d = new Driver(LIMITS);
  const model = new Model();
  const restoreAt = rng.int(1, STEPS - 1);
  let copy: Driver | undefined;
  for (let i = 0; i < STEPS; i++) {
    if (i === restoreAt) {
      copy = new Driver(LIMITS, d.index + 1);
      copy.state.restore(d.state.snapshot());
    }
    const command = randomCommand(rng, model);
    const before = d.state.snapshot();
    const step = d.run(command);
    tally(step);
    if (step.result?.type === 'error') same(d.state.snapshot(), before, 'a refusal changed the state');
    model.observe(command, step);
    model.check(d);
    if (copy) same(copy.run(command), step, `step ${i} after restoring at ${restoreAt}`);
  }
  same(copy?.state.snapshot(), d.state.snapshot(), 'snapshot of the restored member');
}

describe('coordination state: random command sequences (seeded)', () => {
  it(`${SEEDS.length} seeds × ${STEPS} commands`, () => {
    for (const seed of SEEDS) {
      try {
        runSeed(seed);
      } catch (error) {
        const hex = `0x${seed.toString(16)}`;
        throw new Error(`seed=${hex} (replay: BATON_SEED=${hex}): ${String(error)}`, { cause: error });
      }
    }
    if (SEEDS.length > 1) {
      const reached = [
        'granted',
        'grantedWaiter',
        'queued',
        'held',
        'released',
        'cancelled',
        'alreadyGranted',
      ];
      const refused = [
        'notWaiting',
        'not-held',
        'unknown-lease',
        'leases-full',
        'locks-full',
        'waiters-full',
      ];
      const ends = ['leaseEnded', 'waitEnded'];
      for (const kind of [...reached, ...refused, ...ends])
        expect(seen.get(kind) ?? 0, kind).toBeGreaterThan(5);
    }
  });
});
