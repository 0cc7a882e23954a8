import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/env.js';
import { BatonError } from '../../src/errors.js';
import { CoordinationMachine } from '../../src/runtime/coordination-machine.js';
import { LockRecipe } from '../../src/runtime/lock-recipe.js';
import { encodeCommand } from '../../src/state/command-codec.js';
import type { CoordinationCommand, CoordinationResult } from '../../src/state/coordination-commands.js';
import { CoordinationState } from '../../src/state/coordination-state.js';
import { manualTime } from '../support/manual-time.js';

/**
 * A member's log as the recipe sees it: every command applied to one
 * CoordinationMachine as the next entry. `execute` is the recipe's path to
 * the leader; `refuse` makes the commands of one type fail in doubt
 * (BATON_UNAVAILABLE, never applied: the forwarder abandoned them).
 */
class Log {
  readonly machine = new CoordinationMachine();
  /** Every command applied, in order (entry i + 1 is commands[i]), to build snapshots from. */
  readonly commands: CoordinationCommand[] = [];
  readonly executed: CoordinationCommand[] = [];
  refuse: CoordinationCommand['type'] | undefined;
  private index = 0;

  apply(command: CoordinationCommand): CoordinationResult {
    this.commands.push(command);
    const index = ++this.index;
    return this.machine.apply({
      type: 'command',
      term: 1,
      index,
      data: encodeCommand(command),
    }) as CoordinationResult;
  }

  /** The onLateResult of each command refused in doubt, by type: the forwarder's abandon reports there. */
  readonly lateResults = new Map<CoordinationCommand['type'], (late: CoordinationResult) => void>();

  execute = async (
    command: CoordinationCommand,
    options: { onLateResult?: ((late: CoordinationResult) => void) | undefined } = {},
  ): Promise<CoordinationResult> => {
    // Never within the apply that prompted it: a command reaches the log through the leader, later.
    await Promise.resolve();
    this.executed.push(command);
    if (command.type === this.refuse) {
      if (options.onLateResult) this.lateResults.set(command.type, options.onLateResult);
      throw new BatonError('BATON_UNAVAILABLE', 'no leader took the command');
    }
    return this.apply(command);
  };

  /**
   * Installs a snapshot (from the leader) of this log with `more` applied
   * after it, as a member that fell behind does; returns the snapshot's index.
   */
  installSnapshotWith(more: CoordinationCommand[]): number {
    const state = new CoordinationState();
    const all = [...this.commands, ...more];
    for (const [i, c] of all.entries()) state.applyCommand(c, i + 1);
    this.commands.push(...more);
    this.index = all.length;
    this.machine.restore(state.snapshot());
    return this.index;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function setUp() {
  const time = manualTime();
  const env: Env = { clock: time.clock, timers: time.timers, random: () => 0.5, newId: () => 'id' };
  const log = new Log();
  const recipe = new LockRecipe(log.machine, (command, options) => log.execute(command, options), env);
  const holder = log.apply({ type: 'grantLease', ttlMs: 10_000, owner: 'n1' });
  const waiter = log.apply({ type: 'grantLease', ttlMs: 10_000, owner: 'n2' });
  if (holder.type !== 'leaseGranted' || waiter.type !== 'leaseGranted') throw new Error('no leases');
  const held = log.apply({ type: 'acquire', space: 'lock', name: 'x', leaseId: holder.leaseId, wait: true });
  if (held.type !== 'granted') throw new Error('not granted');
  /** The holder's release of its grant, as a command. */
  const holderRelease = {
    type: 'release',
    space: 'lock',
    name: 'x',
    leaseId: holder.leaseId,
    fencingToken: held.fencingToken,
  } as const;
  return { time, log, recipe, holderLease: holder.leaseId, waiterLease: waiter.leaseId, holderRelease };
}

/** A wait that timed out while its cancel failed in doubt: the request still waits in the cluster. */
async function timedOutWithCancelInDoubt(s: ReturnType<typeof setUp>): Promise<void> {
  s.log.refuse = 'cancel';
  const acquiring = s.recipe.acquire({ space: 'lock', name: 'x', leaseId: s.waiterLease }, { waitMs: 100 });
  const failed = acquiring.then(
    () => 'granted',
    (e: BatonError) => e.code,
  );
  await settle();
  s.time.advance(100);
  await settle();
  expect(await failed).toBe('BATON_LOCK_TIMEOUT');
  expect(s.log.executed.map((c) => c.type)).toEqual(['acquire', 'cancel']);
  expect(s.log.machine.state.waiters('lock', 'x')).toMatchObject([{ leaseId: s.waiterLease }]);
}

describe('LockRecipe: a request given up on whose cancel was not confirmed', () => {
  it('is released when its grant is applied later', async () => {
    const s = setUp();
    await timedOutWithCancelInDoubt(s);
    // The holder releases: the abandoned request is granted in that entry.
    s.log.apply(s.holderRelease);
    const granted = s.log.machine.state.holder('lock', 'x');
    expect(granted?.leaseId).toBe(s.waiterLease);
    await settle();
    expect(s.log.executed.at(-1)).toEqual({
      type: 'release',
      space: 'lock',
      name: 'x',
      leaseId: s.waiterLease,
      fencingToken: granted!.fencingToken,
    });
    expect(s.log.machine.state.holder('lock', 'x')).toBeUndefined();
  });

  it('is released when a snapshot installed later shows it granted (its grant’s effect is never delivered)', async () => {
    const s = setUp();
    await timedOutWithCancelInDoubt(s);
    // The member falls behind; the leader's snapshot covers the holder's release, which granted the request.
    const snapshotIndex = s.log.installSnapshotWith([s.holderRelease]);
    const granted = s.log.machine.state.holder('lock', 'x');
    expect(granted).toMatchObject({ leaseId: s.waiterLease, fencingToken: snapshotIndex });
    await settle();
    expect(s.log.executed.at(-1)).toMatchObject({
      type: 'release',
      leaseId: s.waiterLease,
      fencingToken: snapshotIndex,
    });
    expect(s.log.machine.state.holder('lock', 'x')).toBeUndefined();
  });
});

describe('LockRecipe: a waiting acquire', () => {
  it('learns of a grant that an installed snapshot covers (its effect is never delivered) and resolves with its token', async () => {
    const s = setUp();
    let outcome: unknown;
    void s.recipe.acquire({ space: 'lock', name: 'x', leaseId: s.waiterLease }).then(
      (granted) => (outcome = granted),
      (error: BatonError) => (outcome = error.code),
    );
    await settle();
    expect(s.log.machine.state.waiters('lock', 'x')).toMatchObject([{ leaseId: s.waiterLease }]);
    const snapshotIndex = s.log.installSnapshotWith([s.holderRelease]);
    await settle();
    expect(outcome).toEqual({ type: 'granted', fencingToken: snapshotIndex });
  });
});

describe('LockRecipe: an acquire given up in doubt that was applied after all', () => {
  async function givenUpInDoubt(
    s: ReturnType<typeof setUp>,
    leaseId: number,
  ): Promise<(late: CoordinationResult) => void> {
    s.log.refuse = 'acquire';
    const code = await s.recipe.acquire({ space: 'lock', name: 'x', leaseId }, { waitMs: 100 }).then(
      () => 'granted',
      (e: BatonError) => e.code,
    );
    expect(code).toBe('BATON_UNAVAILABLE');
    s.log.refuse = undefined;
    return s.log.lateResults.get('acquire')!;
  }

  it('is cancelled when its late result says it queued', async () => {
    const s = setUp();
    const late = await givenUpInDoubt(s, s.waiterLease);
    // The copy the caller gave up on was appended and applied: it waits behind the holder.
    late(s.log.apply({ type: 'acquire', space: 'lock', name: 'x', leaseId: s.waiterLease, wait: true }));
    await settle();
    expect(s.log.executed.at(-1)).toMatchObject({ type: 'cancel', leaseId: s.waiterLease });
    expect(s.log.machine.state.waiters('lock', 'x')).toEqual([]);
  });

  it('is released when its late result says it was granted', async () => {
    const s = setUp();
    s.log.apply(s.holderRelease);
    const late = await givenUpInDoubt(s, s.waiterLease);
    const granted = s.log.apply({
      type: 'acquire',
      space: 'lock',
      name: 'x',
      leaseId: s.waiterLease,
      wait: true,
    });
    expect(granted.type).toBe('granted');
    late(granted);
    await settle();
    expect(s.log.executed.at(-1)).toMatchObject({ type: 'release', leaseId: s.waiterLease });
    expect(s.log.machine.state.holder('lock', 'x')).toBeUndefined();
  });
});
