import type { Env } from '../env.js';
import { BatonError, isBatonError } from '../errors.js';
import type {
  CoordinationCommand,
  CoordinationResult,
  HeldBy,
  LockSpace,
} from '../state/coordination-commands.js';
import type { CoordinationMachine } from './coordination-machine.js';
import { GrantWatch } from './grant-watch.js';
import { OrphanGrants } from './orphan-grants.js';

/** What to ask for: a lock or an election `name`, on lease `leaseId`, announcing `value` (elections). */
export interface AcquireRequest {
  /** `'lock'` or `'election'`: separate namespaces in one table. */
  readonly space: LockSpace;
  /** The lock or election name: 1 to NAME_BYTES_MAX UTF-8 bytes, no control characters. */
  readonly name: string;
  /** The lease the grant is held on; it ends with that lease. */
  readonly leaseId: number;
  /** What the holder announces (at most VALUE_BYTES_MAX bytes); elections use it, locks do not. */
  readonly value?: string | undefined;
}

/** Options of `Coordination.acquire`. */
export interface AcquireOptions {
  /** Queue when taken (default true); false answers `held` at once (tryAcquire). */
  readonly wait?: boolean | undefined;
  /** Give up with BATON_LOCK_TIMEOUT after this long (default: until `signal`). */
  readonly waitMs?: number | undefined;
  /** Give up with BATON_ABORTED (its reason as `cause`). */
  readonly signal?: AbortSignal | undefined;
}

/** The answer of an acquire: granted with a fencing token, or (without waiting) taken by another grant. */
export type AcquireOutcome =
  | {
      /** Granted to this request. */
      readonly type: 'granted';
      /** The granting entry's log index: larger than every earlier grant of this name. */
      readonly fencingToken: number;
    }
  | {
      /** Taken by another grant (only with `wait: false`); nothing was queued. */
      readonly type: 'held';
      /** The grant that holds it now. */
      readonly holder: HeldBy;
    };

type Execute = (
  command: CoordinationCommand,
  options: {
    signal?: AbortSignal | undefined;
    timeoutMs?: number | undefined;
    onLateResult?: ((late: CoordinationResult) => void) | undefined;
  },
) => Promise<CoordinationResult>;

/** How long housekeeping calls (release, cancel) may take. */
const HOUSEKEEPING_TIMEOUT_MS = 5000;
/** setTimeout's ceiling: "wait forever" waits this long, again and again. */
const TIMER_MS_MAX = 0x7fff_ffff;

/**
 * The lock recipe over the coordination state (etcd's concurrency package,
 * as one replicated table): acquire, queue FIFO, learn of the grant from the
 * apply stream, release. A wait that times out or is aborted is cancelled in
 * the cluster, and a request whose outcome was in doubt when its caller gave
 * up is undone when its late result arrives; any grant of a request given up
 * on is released the moment it shows up (OrphanGrants). A lock is never left
 * held by nobody. Locks and elections both use it.
 */
export class LockRecipe {
  private readonly orphans: OrphanGrants;

  constructor(
    private readonly machine: CoordinationMachine,
    private readonly execute: Execute,
    private readonly env: Env,
  ) {
    this.orphans = new OrphanGrants(machine, (space, name, leaseId, fencingToken) =>
      this.releaseQuietly({ space, name, leaseId }, fencingToken),
    );
  }

  async acquire(request: AcquireRequest, options: AcquireOptions = {}): Promise<AcquireOutcome> {
    const { signal } = options;
    if (signal?.aborted) throw aborted(signal);
    const deadline = this.deadlineOf(options.waitMs);
    const wait = options.wait ?? true;
    const watch = new GrantWatch(this.machine, request.space, request.name, request.leaseId);
    try {
      const result = await this.execute(
        { type: 'acquire', ...request, wait },
        { signal, timeoutMs: this.remainingMs(deadline), onLateResult: (late) => this.undo(request, late) },
      );
      if (result.type === 'granted' || result.type === 'held') return result;
      if (result.type === 'queued')
        return await this.awaitGrant(watch, request, result.waiterId, deadline, signal);
      throw result.type === 'error' ? refusal(request, result) : unexpected(request, result);
    } catch (error) {
      if (isBatonError(error, 'BATON_UNAVAILABLE') && this.env.clock.now() >= deadline)
        throw timedOut(request);
      throw error;
    } finally {
      watch.dispose();
    }
  }

  /** Gives up the grant `fencingToken`; BATON_NOT_HELD if it had ended already. */
  async release(request: Omit<AcquireRequest, 'value'>, fencingToken: number): Promise<void> {
    const { space, name, leaseId } = request;
    const result = await this.execute(
      { type: 'release', space, name, leaseId, fencingToken },
      { timeoutMs: HOUSEKEEPING_TIMEOUT_MS },
    );
    if (result.type === 'released') return;
    throw result.type === 'error' ? refusal(request, result) : unexpected(request, result);
  }

  private async awaitGrant(
    watch: GrantWatch,
    request: AcquireRequest,
    waiterId: number,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<AcquireOutcome> {
    const outcome = await this.raceDeadline(watch.outcome(waiterId), deadline, signal);
    if (outcome === undefined) {
      await this.cancel(request, waiterId);
      throw signal?.aborted ? aborted(signal) : timedOut(request);
    }
    if (outcome.kind === 'granted') return { type: 'granted', fencingToken: outcome.fencingToken };
    throw new BatonError('BATON_LOCK_LOST', `the wait for ${describe(request)} ended: ${outcome.reason}`, {
      cause: outcome.reason,
    });
  }

  /** Withdraws a request its caller gave up on; a grant that beat the cancel is released. */
  private async cancel(request: AcquireRequest, waiterId: number): Promise<void> {
    const { space, name, leaseId } = request;
    this.orphans.watch(space, name, leaseId, waiterId);
    try {
      const result = await this.execute(
        { type: 'cancel', space, name, leaseId, waiterId },
        { timeoutMs: HOUSEKEEPING_TIMEOUT_MS, onLateResult: (late) => this.undo(request, late) },
      );
      this.undo(request, result);
    } catch {
      // Still watched as an orphan: a grant that turns up is released when it does.
    }
  }

  /** Undoes the result of a request its caller no longer waits for (given up on, or answered late). */
  private undo(request: AcquireRequest, result: CoordinationResult): void {
    if (result.type === 'granted' || result.type === 'alreadyGranted') {
      void this.releaseQuietly(request, result.fencingToken);
    } else if (result.type === 'queued') {
      void this.cancel(request, result.waiterId);
    }
  }

  private async releaseQuietly(request: Omit<AcquireRequest, 'value'>, fencingToken: number): Promise<void> {
    await this.release(request, fencingToken).catch(() => {
      // Not held any more, or unreachable: the grant ends with its lease at the latest.
    });
  }

  private deadlineOf(waitMs: number | undefined): number {
    if (waitMs === undefined) return Number.POSITIVE_INFINITY;
    if (typeof waitMs !== 'number' || !(waitMs >= 0)) {
      throw new BatonError(
        'BATON_CONFIG',
        `waitMs must be a number of milliseconds, 0 or more, got ${String(waitMs)}`,
        {
          field: 'waitMs',
          value: waitMs,
        },
      );
    }
    return this.env.clock.now() + waitMs;
  }

  private remainingMs(deadline: number): number {
    return Math.min(TIMER_MS_MAX, Math.max(0, deadline - this.env.clock.now()));
  }

  /** Resolves with `p`'s value, or undefined once the deadline passes or `signal` aborts. */
  private raceDeadline<T>(
    p: Promise<T>,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<T | undefined> {
    return new Promise((resolve) => {
      let timer: { cancel(): void } | undefined;
      const done = (value: T | undefined) => {
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = () => done(undefined);
      const arm = (): void => {
        const ms = deadline - this.env.clock.now();
        if (ms <= 0) {
          done(undefined);
          return;
        }
        timer = this.env.timers.setTimeout(arm, Math.min(ms, TIMER_MS_MAX));
      };
      if (signal?.aborted) return done(undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (deadline !== Number.POSITIVE_INFINITY) arm();
      p.then(done, () => done(undefined));
    });
  }
}

function describe(request: Pick<AcquireRequest, 'space' | 'name'>): string {
  return `${request.space} ${JSON.stringify(request.name)}`;
}

function aborted(signal: AbortSignal): BatonError {
  return new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason });
}

function timedOut(request: AcquireRequest): BatonError {
  return new BatonError('BATON_LOCK_TIMEOUT', `${describe(request)} was not granted within waitMs`);
}

/** The public error for a refusal the coordination state answered. */
function refusal(
  request: Pick<AcquireRequest, 'space' | 'name'>,
  result: Extract<CoordinationResult, { type: 'error' }>,
): BatonError {
  switch (result.code) {
    case 'invalid-name':
      return new BatonError('BATON_CONFIG', `${describe(request)}: ${result.message}`, {
        field: 'name',
        value: request.name,
      });
    case 'invalid-value':
      return new BatonError('BATON_CONFIG', `${describe(request)}: ${result.message}`, { field: 'value' });
    case 'not-held':
      return new BatonError('BATON_NOT_HELD', `${describe(request)} is not held by this grant`);
    case 'unknown-lease':
      return new BatonError('BATON_LOCK_LOST', `the lease behind ${describe(request)} has ended`, {
        cause: 'expired',
      });
    default:
      return new BatonError('BATON_UNAVAILABLE', `${describe(request)}: ${result.code}: ${result.message}`);
  }
}

function unexpected(request: Pick<AcquireRequest, 'space' | 'name'>, result: CoordinationResult): BatonError {
  return new BatonError('BATON_UNAVAILABLE', `${describe(request)}: unexpected answer ${result.type}`);
}
