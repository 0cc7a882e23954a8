import type { Env } from './env.js';
import type { CoordinationMachine, EffectListener } from './runtime/coordination-machine.js';
import type { Forwarder } from './runtime/forwarder.js';
import {
  type AcquireOptions,
  type AcquireOutcome,
  type AcquireRequest,
  LockRecipe,
} from './runtime/lock-recipe.js';
import { encodeCommand } from './state/command-codec.js';
import type { CoordinationCommand, CoordinationResult, LockSpace } from './state/coordination-commands.js';
import type {
  CoordinationSummary,
  LeaseInfo,
  LockHolderInfo,
  LockWaiterInfo,
} from './state/coordination-reads.js';

/** What the coordination state answers locally; `Coordination.read` makes it linearizable. */
export interface CoordinationView {
  /** The current grant of a lock, or an election's winner (with its value). */
  holder(space: LockSpace, name: string): LockHolderInfo | undefined;
  /** The requests waiting for a lock, oldest first. */
  waiters(space: LockSpace, name: string): LockWaiterInfo[];
  /** The live lease `leaseId`, or `undefined` (never granted, revoked or expired). */
  lease(leaseId: number): LeaseInfo | undefined;
  /** Every live lease, by id. */
  leases(): LeaseInfo[];
  /** Counts and the first `listMax` locks and elections (default 100), for a status page. */
  summary(listMax?: number): CoordinationSummary;
}

/** Options of a coordination call. */
export interface CoordinationCallOptions {
  /** Give up with BATON_ABORTED (its reason as `cause`) when it aborts. */
  readonly signal?: AbortSignal | undefined;
  /** Give up with BATON_UNAVAILABLE after this long (default: the cluster's request timeout). */
  readonly timeoutMs?: number | undefined;
  /**
   * The command was given up on (timeout, signal) but had been applied after
   * all: its result, delivered later, so the caller can undo it (cancel a
   * wait, release a grant). Otherwise it is certain never to be applied.
   */
  readonly onLateResult?: ((result: CoordinationResult) => void) | undefined;
}

/**
 * The coordination surface of a member, for `@baton/lock` and
 * `@baton/election` (and anyone building another recipe): typed commands
 * carried out through the leader, linearizable reads, and the stream of
 * effects as entries are applied here.
 *
 * `execute` resolves once the command is committed and applied on this
 * member, with its result; a retry after a lost answer is applied at most
 * once (client sessions). `read` confirms a read point with the leader
 * (ReadIndex) and waits until this member applied it before reading.
 * `onEffect` listeners run synchronously as each entry is applied — look at
 * `view` and subscribe in one synchronous step and nothing is missed — and
 * must not call into the cluster synchronously.
 */
export class Coordination {
  private readonly locks: LockRecipe;

  /** @internal Built by Cluster. */
  constructor(
    private readonly machine: CoordinationMachine,
    private readonly forwarder: Forwarder,
    private readonly defaultTimeoutMs: number,
    env: Env,
  ) {
    this.locks = new LockRecipe(machine, (command, options) => this.execute(command, options), env);
  }

  /**
   * Asks for a lock or an election on a lease: granted at once, or queued and
   * granted in FIFO order (learned from the apply stream), or — with `wait:
   * false` — answered `held` without queueing. A wait that times out
   * (BATON_LOCK_TIMEOUT) or is aborted (BATON_ABORTED) is cancelled in the
   * cluster, and a grant that beat the cancel, or that arrives for a request
   * whose outcome was in doubt, is released: nothing is left behind.
   */
  acquire(request: AcquireRequest, options: AcquireOptions = {}): Promise<AcquireOutcome> {
    return this.locks.acquire(request, options);
  }

  /** Gives up the grant `fencingToken` (the next waiter is granted it); BATON_NOT_HELD if it had ended. */
  release(request: Omit<AcquireRequest, 'value'>, fencingToken: number): Promise<void> {
    return this.locks.release(request, fencingToken);
  }

  /** Proposes `command` through the leader; resolves with its result once applied on this member. */
  async execute(
    command: CoordinationCommand,
    options: CoordinationCallOptions = {},
  ): Promise<CoordinationResult> {
    const { onLateResult } = options;
    const { result } = await this.forwarder.submit(encodeCommand(command), {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
      onLateResult: onLateResult && ((late) => onLateResult(late as CoordinationResult)),
    });
    return result as CoordinationResult;
  }

  /** A linearizable read: `fn` sees a state at least as new as every write completed before the call. */
  async read<T>(fn: (view: CoordinationView) => T, options: CoordinationCallOptions = {}): Promise<T> {
    await this.forwarder.read({
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? this.defaultTimeoutMs,
    });
    return fn(this.machine.state);
  }

  /** The state this member has applied, now (not linearizable: for waiting on effects without races). */
  get view(): CoordinationView {
    return this.machine.state;
  }

  /** Subscribes to the effects of every entry applied from now on; returns the unsubscribe function. */
  onEffect(listener: EffectListener): () => void {
    return this.machine.onEffect(listener);
  }

  /**
   * Called when a snapshot from the leader replaced this member's state: the
   * effects of the entries it covers are never delivered, so a waiter looks
   * at `view` again. Returns the unsubscribe function.
   */
  onRestore(listener: () => void): () => void {
    return this.machine.onRestore(listener);
  }
}
