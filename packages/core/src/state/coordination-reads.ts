import type { LockSpace } from './coordination-commands.js';
import {
  type CoordinationTables,
  compareKeys,
  type LockGrant,
  type LockRequest,
  lockKey,
} from './coordination-tables.js';

/** Who holds a lock or election now. For an election, the winner; `value` is what it announced. */
export interface LockHolderInfo {
  /** The lease the grant is held on. */
  readonly leaseId: number;
  /** The member id the holder's lease was granted to. */
  readonly owner: string;
  /** The grant's fencing token: the index of the entry that granted it. */
  readonly fencingToken: number;
  /** The acquire entry's index (its `queued` result's waiterId, if it waited). */
  readonly waiterId: number;
  /** What the holder announced, if anything. */
  readonly value?: string;
}

/** A request waiting for a lock. */
export interface LockWaiterInfo {
  /** The request's id: its acquire entry's index. */
  readonly waiterId: number;
  /** The lease it waits on. */
  readonly leaseId: number;
  /** The member that lease belongs to. */
  readonly owner: string;
  /** What it will announce when granted, if anything. */
  readonly value?: string;
}

/** A live lease: what the leader needs to time it, and whose it is. */
export interface LeaseInfo {
  /** The lease's id (its granting entry's index). */
  readonly leaseId: number;
  /** Its TTL in ms. */
  readonly ttlMs: number;
  /** The member it belongs to. */
  readonly owner: string;
  /** Grants it holds and requests it has waiting, together. */
  readonly requests: number;
}

/** One lock or election in a {@link CoordinationSummary}. */
export interface LockSummary {
  /** Lock or election. */
  readonly space: LockSpace;
  /** Its name. */
  readonly name: string;
  /** Who holds it (a listed lock is always held). */
  readonly holder: LockHolderInfo;
  /** How many requests wait for it. */
  readonly waiters: number;
}

/** Counts and the first locks (in key order), for a status page. */
export interface CoordinationSummary {
  /** Live leases. */
  readonly leases: number;
  /** Held locks (space 'lock'). */
  readonly locks: number;
  /** Elections with a winner (space 'election'). */
  readonly elections: number;
  /** Requests waiting, over all locks and elections. */
  readonly waiters: number;
  /** The size budget used (see STATE_BYTES_MAX). */
  readonly stateBytes: number;
  /** At most `listMax` locks and elections, elections first, each by name. */
  readonly listed: readonly LockSummary[];
  /** True when there were more than `listMax`. */
  readonly truncated: boolean;
}

/** How many locks a summary lists unless asked otherwise. */
export const SUMMARY_LIST_MAX_DEFAULT = 100;

export function readHolder(
  tables: CoordinationTables,
  space: LockSpace,
  name: string,
): LockHolderInfo | undefined {
  const lock = tables.locks.get(lockKey(space, name));
  return lock ? holderInfo(tables, lock.holder) : undefined;
}

export function readWaiters(tables: CoordinationTables, space: LockSpace, name: string): LockWaiterInfo[] {
  const lock = tables.locks.get(lockKey(space, name));
  return lock ? lock.waiters.map((w) => waiterInfo(tables, w)) : [];
}

export function readLease(tables: CoordinationTables, leaseId: number): LeaseInfo | undefined {
  const lease = tables.leases.get(leaseId);
  if (!lease) return undefined;
  let requests = 0;
  for (const count of lease.requests.values()) requests += count;
  return { leaseId, ttlMs: lease.ttlMs, owner: lease.owner, requests };
}

export function readLeases(tables: CoordinationTables): LeaseInfo[] {
  const all: LeaseInfo[] = [];
  for (const leaseId of tables.leases.keys()) {
    const info = readLease(tables, leaseId);
    if (info) all.push(info);
  }
  return all.sort((a, b) => a.leaseId - b.leaseId);
}

export function readSummary(tables: CoordinationTables, listMax: number): CoordinationSummary {
  let elections = 0;
  let waiters = 0;
  for (const lock of tables.locks.values()) {
    if (lock.space === 'election') elections++;
    waiters += lock.waiters.length;
  }
  const keys = [...tables.locks.keys()].sort(compareKeys);
  const listed: LockSummary[] = [];
  for (const key of keys.slice(0, Math.max(0, listMax))) {
    const lock = tables.locks.get(key);
    if (!lock) continue;
    const holder = holderInfo(tables, lock.holder);
    listed.push({ space: lock.space, name: lock.name, holder, waiters: lock.waiters.length });
  }
  return {
    leases: tables.leases.size,
    locks: tables.locks.size - elections,
    elections,
    waiters,
    stateBytes: tables.stateBytes,
    listed,
    truncated: keys.length > listed.length,
  };
}

/** Plain data only: `value` is absent, not undefined, when there is none (results and snapshots are JSON). */
function holderInfo(tables: CoordinationTables, grant: LockGrant): LockHolderInfo {
  const info = {
    leaseId: grant.leaseId,
    owner: tables.leases.get(grant.leaseId)?.owner ?? '',
    fencingToken: grant.fencingToken,
    waiterId: grant.waiterId,
  };
  return grant.value === undefined ? info : { ...info, value: grant.value };
}

function waiterInfo(tables: CoordinationTables, request: LockRequest): LockWaiterInfo {
  const info = {
    waiterId: request.waiterId,
    leaseId: request.leaseId,
    owner: tables.leases.get(request.leaseId)?.owner ?? '',
  };
  return request.value === undefined ? info : { ...info, value: request.value };
}
