import type { MonotonicClock, TimerHandle, Timers } from '../env.js';
import { BatonError } from '../errors.js';
import type { RaftStatus } from '../raft/raw-node.js';
import { type LeadershipLostCause, LeadershipToken } from './leadership-token.js';

interface Waiter {
  resolve(token: LeadershipToken): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** What the runtime tells Leadership after every change. */
export interface LeadershipView {
  readonly status: RaftStatus;
  /** The lease deadline on the monotonic clock (-Infinity when none). */
  readonly leaseUntil: number;
  /** Has this member applied an entry of its current term (its no-op)? */
  readonly appliedOwnTerm: boolean;
}

/**
 * Hands out leadership tokens and takes them back. A token is issued once
 * this member leads, has applied an entry of its own term, and holds a
 * leader lease; it is aborted when the term moves on, the member steps
 * down, a transfer starts, the lease runs out, or the member stops.
 */
export class Leadership {
  private token: LeadershipToken | undefined;
  private readonly waiters = new Set<Waiter>();
  private expiry: TimerHandle | undefined;
  /** When `expiry` fires, on the monotonic clock. */
  private expiryAt = Number.POSITIVE_INFINITY;
  private stopped = false;
  private lastView: LeadershipView | undefined;

  constructor(
    private readonly clock: MonotonicClock,
    private readonly timers: Timers,
  ) {}

  /** The current valid token, if any. */
  current(): LeadershipToken | undefined {
    return this.token?.valid ? this.token : undefined;
  }

  /** Resolves with a token once this member leads (see class doc); rejects BATON_ABORTED on `signal`. */
  wait(signal?: AbortSignal): Promise<LeadershipToken> {
    if (this.stopped)
      return Promise.reject(new BatonError('BATON_STOPPED', 'the cluster member has stopped'));
    if (signal?.aborted) return Promise.reject(aborted(signal));
    const now = this.current();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(aborted(signal!));
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
    });
  }

  /** Re-evaluates the token against the member's state; call after every step and Ready. */
  update(view: LeadershipView): void {
    if (this.stopped) return;
    this.lastView = view;
    const { status, leaseUntil } = view;
    const now = this.clock.now();
    const token = this.token;
    if (token && !token.signal.aborted) {
      // The deadline first: after a stall, a step-down processed on resume is
      // not why leadership stopped being guaranteed; the lease ran out first.
      const cause = token.deadline <= now ? 'lease-expired' : lostCause(token.term, status, leaseUntil, now);
      if (cause) token.abort(cause);
      else token.extendTo(leaseUntil);
    }
    if (this.token?.signal.aborted) this.token = undefined;
    if (
      !this.token &&
      status.role === 'leader' &&
      view.appliedOwnTerm &&
      leaseUntil > now &&
      !status.leadTransferee
    ) {
      this.token = new LeadershipToken(status.term, leaseUntil, this.clock);
      for (const w of this.waiters) {
        w.cleanup();
        w.resolve(this.token);
      }
      this.waiters.clear();
    }
    this.scheduleExpiry();
  }

  /** Aborts the token and every waiter: the member is stopping. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelExpiry();
    this.token?.abort('stopped');
    this.token = undefined;
    for (const w of this.waiters) {
      w.cleanup();
      w.reject(new BatonError('BATON_STOPPED', 'the cluster member has stopped'));
    }
    this.waiters.clear();
  }

  /**
   * A timer at the lease deadline, so the signal aborts even if no message
   * arrives. The leader calls update() on every input and Ready, and almost
   * every call only moves the deadline later: a timer already due at or
   * before the deadline is kept, and when it fires early, update() sets the
   * next one. Only a deadline earlier than the timer needs a new timer.
   */
  private scheduleExpiry(): void {
    const token = this.token;
    if (token && this.expiry && this.expiryAt <= token.deadline) return;
    this.cancelExpiry();
    if (!token) return;
    this.expiryAt = token.deadline;
    this.expiry = this.timers.setTimeout(
      () => {
        this.expiry = undefined;
        this.expiryAt = Number.POSITIVE_INFINITY;
        if (this.lastView) this.update(this.lastView);
      },
      Math.max(0, token.deadline - this.clock.now()),
    );
  }

  private cancelExpiry(): void {
    this.expiry?.cancel();
    this.expiry = undefined;
    this.expiryAt = Number.POSITIVE_INFINITY;
  }
}

function lostCause(
  term: number,
  status: RaftStatus,
  leaseUntil: number,
  now: number,
): LeadershipLostCause | undefined {
  if (status.term > term) return 'higher-term';
  if (status.role !== 'leader') return 'quorum-lost';
  if (status.leadTransferee !== undefined) return 'transferred';
  if (status.leaseRound === 0 && status.term === term) return 'transferred';
  if (leaseUntil <= now) return 'lease-expired';
  return undefined;
}

function aborted(signal: AbortSignal): BatonError {
  return new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason });
}
