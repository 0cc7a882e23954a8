import { isBatonError } from '../../errors.js';
import type { MemberId } from '../../raft/types.js';
import { SharedLease } from '../../runtime/shared-lease.js';
import type { LockSpace } from '../../state/coordination-commands.js';
import { type HeldGrants, SimGrant } from './held-grants.js';
import type { MemberServices } from './runtime-sim.js';

/** How a simulated acquire asks: as `Locks.acquire` / `tryAcquire` and `Election.campaign` take it. */
export interface RecipeAcquireOptions {
  /** false: tryAcquire (answered at once, never queued). */
  readonly wait: boolean;
  readonly waitMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** What an election winner announces. */
  readonly value?: string | undefined;
}

/**
 * One `Locks` or `Election` instance on one member incarnation, as the
 * simulation's clients use it: one SharedLease of `ttlMs` for everything the
 * instance takes, `Coordination.acquire` / `release` for the rest. It is the
 * recipe of `@baton/lock` (Locks.take: a lease, then acquire; a new lease,
 * once, when the lease ended just as we asked) and `@baton/election`
 * (campaign = acquire in the election space; resign = release), rebuilt over
 * the member's services because those packages sit on a `Cluster`, which
 * needs real sockets, and measure `waitMs` with `performance.now()` — here
 * the member's own simulated clock takes its place. Every grant goes to
 * `held`, whose checks run after every event.
 */
export class RecipeClient {
  private readonly lease: SharedLease;
  private readonly grants = new Set<SimGrant>();
  private closed = false;

  constructor(
    readonly member: MemberId,
    private readonly services: MemberServices,
    readonly ttlMs: number,
    private readonly held: HeldGrants,
    private readonly nowUs: () => number,
    private readonly alive: () => boolean,
  ) {
    this.lease = new SharedLease(
      { grantLease: ({ ttlMs: t, timeoutMs }) => services.leases.grant(t, { timeoutMs: timeoutMs ?? 5000 }) },
      ttlMs,
    );
  }

  get incarnation(): number {
    return this.services.incarnation;
  }

  /**
   * Acquires `space`/`name` (Locks.take, Election.campaign); undefined when a
   * tryAcquire found it taken. Rejects as they do (BATON_LOCK_TIMEOUT,
   * BATON_ABORTED, BATON_LOCK_LOST, BATON_UNAVAILABLE, …).
   */
  async acquire(
    space: LockSpace,
    name: string,
    options: RecipeAcquireOptions,
  ): Promise<SimGrant | undefined> {
    const clock = this.services.env.clock;
    const startedAt = clock.now();
    for (let attempt = 0; ; attempt++) {
      const lease = await this.lease.get(options.signal);
      const waitMs =
        options.waitMs === undefined ? undefined : Math.max(0, options.waitMs - (clock.now() - startedAt));
      try {
        const outcome = await this.services.coordination.acquire(
          { space, name, leaseId: lease.id, value: options.value },
          { wait: options.wait, signal: options.signal, ...(waitMs === undefined ? {} : { waitMs }) },
        );
        if (outcome.type === 'held') return undefined;
        const grant = new SimGrant(
          space,
          name,
          this.member,
          this.incarnation,
          outcome.fencingToken,
          lease,
          this.alive,
        );
        grant.ackedAtUs = this.nowUs();
        // A grant that arrives after close() began is given up at once (close revokes its lease).
        if (this.closed) grant.gaveUpAtUs = this.nowUs();
        else this.grants.add(grant);
        this.held.acknowledge(grant);
        return grant;
      } catch (error) {
        if (attempt > 0 || !isBatonError(error, 'BATON_LOCK_LOST') || !lease.signal.aborted) throw error;
      }
    }
  }

  /** HeldLock.release / ElectionLeadership.resign: the grant is given up now; BATON_NOT_HELD if it had ended. */
  release(grant: SimGrant): Promise<void> {
    grant.gaveUpAtUs ??= this.nowUs();
    this.grants.delete(grant);
    return this.releaseToken(grant.space, grant.name, grant.lease.id, grant.fencingToken);
  }

  /** A release of any token on this instance's lease (a stale one, say, to see it refused). */
  releaseToken(space: LockSpace, name: string, leaseId: number, fencingToken: number): Promise<void> {
    return this.services.coordination.release({ space, name, leaseId }, fencingToken);
  }

  /** Locks.close / Election.close: every grant of the instance is given up, and its lease revoked. */
  close(): Promise<void> {
    this.closed = true;
    for (const grant of this.grants) grant.gaveUpAtUs ??= this.nowUs();
    this.grants.clear();
    return this.lease.close();
  }
}
