import type { CoordinationErrorCode, LockSpace } from './coordination-commands.js';
import {
  type CoordinationLimits,
  LEASE_COST_BYTES,
  LOCK_COST_BYTES,
  REQUEST_COST_BYTES,
} from './coordination-limits.js';
import { utf8Bytes } from './text-checks.js';

/** A live lease. */
export interface LeaseRecord {
  readonly leaseId: number;
  readonly ttlMs: number;
  readonly owner: string;
  readonly costBytes: number;
  /** Keys of the locks this lease holds or waits for, with how many of its requests each has. */
  readonly requests: Map<string, number>;
}

/** A request for a lock: waiting, or (as {@link LockGrant}) granted. */
export interface LockRequest {
  /** The acquire entry's index. */
  readonly waiterId: number;
  readonly leaseId: number;
  readonly value: string | undefined;
  readonly costBytes: number;
}

/** A granted request; its fencing token is the index of the entry that granted it. */
export interface LockGrant extends LockRequest {
  readonly fencingToken: number;
}

/** A held lock or election. A lock exists exactly while it is held: waiters only queue behind a holder. */
export interface LockRecord {
  readonly key: string;
  readonly space: LockSpace;
  readonly name: string;
  readonly costBytes: number;
  holder: LockGrant;
  /** Oldest first: the next grant goes to waiters[0]. */
  readonly waiters: LockRequest[];
}

/** The table key of a lock: its space and name (a fixed two-character prefix, so no name can collide). */
export function lockKey(space: LockSpace, name: string): string {
  return (space === 'election' ? 'e:' : 'l:') + name;
}

/**
 * The one order every listing, snapshot and multi-lock change uses: by key,
 * comparing UTF-16 code units (elections before locks). Never a Map's
 * insertion order, which differs between a member that applied the entries
 * and one restored from a snapshot.
 */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The leases and locks, with the indexes derived from them (each lease's
 * requests, the bytes used) kept in step by every change. It checks room but
 * not meaning: {@link CoordinationState} decides what a command does.
 */
export class CoordinationTables {
  /** In leaseId order: ids are increasing log indexes, and a restore inserts them sorted. */
  readonly leases = new Map<number, LeaseRecord>();
  readonly locks = new Map<string, LockRecord>();
  /** The budget used (see STATE_BYTES_MAX). */
  stateBytes = 0;

  constructor(readonly limits: CoordinationLimits) {}

  /** Why a lease for `owner` does not fit, or undefined. */
  roomForLease(owner: string): CoordinationErrorCode | undefined {
    if (this.leases.size >= this.limits.leasesMax) return 'leases-full';
    return this.fits(LEASE_COST_BYTES + utf8Bytes(owner)) ? undefined : 'state-full';
  }

  /** Why a request (a new lock when `lock` is undefined, else a waiter of it) does not fit, or undefined. */
  roomForRequest(
    lock: LockRecord | undefined,
    name: string,
    value: string | undefined,
  ): CoordinationErrorCode | undefined {
    let bytes = REQUEST_COST_BYTES + (value === undefined ? 0 : utf8Bytes(value));
    if (lock === undefined) {
      if (this.locks.size >= this.limits.locksMax) return 'locks-full';
      bytes += LOCK_COST_BYTES + utf8Bytes(name);
    } else if (lock.waiters.length >= this.limits.waitersPerLockMax) return 'waiters-full';
    return this.fits(bytes) ? undefined : 'state-full';
  }

  addLease(leaseId: number, ttlMs: number, owner: string): LeaseRecord {
    const lease: LeaseRecord = {
      leaseId,
      ttlMs,
      owner,
      costBytes: LEASE_COST_BYTES + utf8Bytes(owner),
      requests: new Map(),
    };
    this.leases.set(leaseId, lease);
    this.stateBytes += lease.costBytes;
    return lease;
  }

  removeLease(lease: LeaseRecord): void {
    this.leases.delete(lease.leaseId);
    this.stateBytes -= lease.costBytes;
  }

  /** A request as stored, with its cost. */
  request(waiterId: number, leaseId: number, value: string | undefined): LockRequest {
    const costBytes = REQUEST_COST_BYTES + (value === undefined ? 0 : utf8Bytes(value));
    return { waiterId, leaseId, value, costBytes };
  }

  /** Creates the lock `space`/`name`, held by `holder`. */
  createLock(space: LockSpace, name: string, holder: LockGrant): LockRecord {
    const key = lockKey(space, name);
    const lock: LockRecord = {
      key,
      space,
      name,
      costBytes: LOCK_COST_BYTES + utf8Bytes(name),
      holder,
      waiters: [],
    };
    this.locks.set(key, lock);
    this.stateBytes += lock.costBytes + holder.costBytes;
    this.countRequest(holder.leaseId, key, +1);
    return lock;
  }

  /** Queues `request` last. */
  enqueue(lock: LockRecord, request: LockRequest): void {
    lock.waiters.push(request);
    this.stateBytes += request.costBytes;
    this.countRequest(request.leaseId, lock.key, +1);
  }

  /**
   * Ends the lock's current grant and grants the oldest waiter with fencing
   * token `index` (the entry doing it); deletes the lock when nobody waits.
   * Returns the new grant, if any.
   */
  endGrant(lock: LockRecord, index: number): LockGrant | undefined {
    const ended = lock.holder;
    this.stateBytes -= ended.costBytes;
    this.countRequest(ended.leaseId, lock.key, -1);
    const next = lock.waiters.shift();
    if (next === undefined) {
      this.locks.delete(lock.key);
      this.stateBytes -= lock.costBytes;
      return undefined;
    }
    // The waiter's request becomes the grant: same lease, same key, same cost.
    lock.holder = { ...next, fencingToken: index };
    return lock.holder;
  }

  /** Removes the waiter at `position` (0 is the oldest) and returns it. */
  removeWaiter(lock: LockRecord, position: number): LockRequest {
    const [removed] = lock.waiters.splice(position, 1);
    if (removed === undefined) throw new RangeError(`no waiter at ${position} of ${lock.key}`);
    this.stateBytes -= removed.costBytes;
    this.countRequest(removed.leaseId, lock.key, -1);
    return removed;
  }

  /** Empties both tables. */
  clear(): void {
    this.leases.clear();
    this.locks.clear();
    this.stateBytes = 0;
  }

  private fits(bytes: number): boolean {
    return this.stateBytes + bytes <= this.limits.stateBytesMax;
  }

  private countRequest(leaseId: number, key: string, delta: number): void {
    const requests = this.leases.get(leaseId)?.requests;
    if (requests === undefined) return;
    const count = (requests.get(key) ?? 0) + delta;
    if (count > 0) requests.set(key, count);
    else requests.delete(key);
  }
}
