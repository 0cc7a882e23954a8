import { BatonError, isBatonError } from '../errors.js';
import type { Lease } from './lease.js';

/** How long a lease grant may take; shared by the callers that wait for it. */
const LEASE_GRANT_TIMEOUT_MS = 10_000;

/** What SharedLease needs of a member: a Cluster fits. */
export interface LeaseGranter {
  /** Grants a lease of `ttlMs` kept alive by this member; `Cluster.grantLease`. */
  grantLease(options: { ttlMs: number; timeoutMs?: number }): Promise<Lease>;
}

/**
 * One lease shared by everything a recipe instance holds (a Locks, an
 * Election): granted on first use, granted again once it ended, and revoked
 * by close(). Concurrent callers share one grant; each waits with its own
 * signal.
 */
export class SharedLease {
  private granting: Promise<Lease> | undefined;
  /** What `granting` resolved with, once it has: close() revokes it at the call. */
  private granted: Lease | undefined;
  private closed = false;

  constructor(
    private readonly cluster: LeaseGranter,
    private readonly ttlMs: number,
  ) {}

  /**
   * The lease granted already, if it has not ended (its signal not aborted)
   * and close() was not called; else undefined. Lets a caller skip get()'s
   * promise and the timers it would arm around it when no grant is needed.
   */
  get live(): Lease | undefined {
    const lease = this.granted; // close() clears it
    return lease !== undefined && !lease.signal.aborted ? lease : undefined;
  }

  /**
   * The live lease, granting one if there is none. BATON_STOPPED once
   * closed; BATON_ABORTED as soon as `signal` aborts, also while waiting for
   * a grant another caller started (which goes on for the others).
   */
  async get(signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) throw abortedError(signal);
    const current = this.granting;
    if (current) {
      const lease = await abortable(current, signal).catch((error: unknown) => {
        if (isBatonError(error, 'BATON_ABORTED')) throw error;
        return undefined; // that grant failed: grant anew below
      });
      if (lease && !lease.signal.aborted) return lease;
      if (this.granting === current) {
        this.granting = undefined;
        this.granted = undefined;
      }
    }
    if (this.closed) throw new BatonError('BATON_STOPPED', 'closed');
    if (this.granting === undefined) {
      const started = this.cluster.grantLease({ ttlMs: this.ttlMs, timeoutMs: LEASE_GRANT_TIMEOUT_MS });
      // Shared by every caller, any of whom may give up: its failure must never go unhandled (that
      // would end the process), even when nobody waits for it any more.
      started.then(
        (lease) => {
          if (this.granting === started) this.granted = lease;
        },
        () => {},
      );
      this.granting = started;
      this.granted = undefined;
    }
    const granting = this.granting;
    try {
      return await abortable(granting, signal);
    } catch (error) {
      if (this.granting === granting && !isBatonError(error, 'BATON_ABORTED')) this.granting = undefined;
      throw error;
    }
  }

  /**
   * Revokes the lease (every grant and wait on it ends at once); later get()
   * calls fail. A lease granted already is invalid from the call on (see
   * Lease.revoke); one still being granted is revoked once it arrives.
   * Idempotent.
   */
  async close(): Promise<void> {
    this.closed = true;
    const { granting, granted } = this;
    this.granting = undefined;
    this.granted = undefined;
    const lease = granted ?? (await granting?.catch(() => undefined));
    await lease?.revoke().catch(() => {});
  }
}

function abortedError(signal: AbortSignal): BatonError {
  return new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason });
}

/** `p`, or BATON_ABORTED as soon as `signal` aborts (p goes on, shared). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(abortedError(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
