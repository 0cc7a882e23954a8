import { decodeCommand } from './command-codec.js';
import type {
  AcquireCommand,
  CancelCommand,
  CoordinationCommand,
  CoordinationEffect,
  CoordinationResult,
  GrantEndReason,
  GrantLeaseCommand,
  LeaseEndReason,
  LockSpace,
  ReleaseCommand,
} from './coordination-commands.js';
import { type CoordinationLimits, DEFAULT_COORDINATION_LIMITS } from './coordination-limits.js';
import {
  type CoordinationSummary,
  type LeaseInfo,
  type LockHolderInfo,
  type LockWaiterInfo,
  readHolder,
  readLease,
  readLeases,
  readSummary,
  readWaiters,
  SUMMARY_LIST_MAX_DEFAULT,
} from './coordination-reads.js';
import { decodeCoordinationSnapshot, encodeCoordinationSnapshot } from './coordination-snapshot.js';
import { CoordinationTables, compareKeys, type LockRecord, lockKey } from './coordination-tables.js';
import { checkCommand, rejected } from './validate-command.js';

/**
 * The entries the runtime applies, as far as this state machine looks at
 * them: structurally the Raft `Entry` (state/ does not import raft/). Only
 * command entries carry data; no-ops and configuration entries change nothing.
 */
export interface AppliedEntry {
  readonly type: string;
  readonly index: number;
  readonly data?: Uint8Array;
}

/**
 * The replicated coordination state machine: leases, fencing-token locks with
 * FIFO waiters, and named elections (the same table under their own space).
 *
 * Pure and deterministic: time enters only through logged commands (the
 * leader proposes `expireLease`), iteration that anyone can observe is in a
 * fixed order, and the same entries in the same order give the same results,
 * effects and snapshot bytes on every member. A fencing token is the index of
 * the entry that granted it, so tokens only grow, across leaders, expiries
 * and snapshots. Nothing a client can send makes `apply` throw: bad bytes,
 * bad names, unknown leases and full tables are refusal results that change
 * nothing.
 *
 * Effects: every grant, release, withdrawn wait and lease change an entry
 * causes is queued for {@link takeEffects}, which the runtime calls after
 * each apply. A retried command answered from the session table is not
 * applied again, so its effects happen once.
 */
export class CoordinationState {
  private tables: CoordinationTables;
  private effects: CoordinationEffect[] = [];

  constructor(private readonly limits: CoordinationLimits = DEFAULT_COORDINATION_LIMITS) {
    this.tables = new CoordinationTables(limits);
  }

  /**
   * Applies one committed entry. A command entry's data is the command's
   * encoding (the session envelope already removed); its answer is plain
   * data. No-ops and configuration entries answer null.
   */
  apply(entry: AppliedEntry): CoordinationResult | null {
    if (entry.type !== 'command' || entry.data === undefined) return null;
    const command = decodeCommand(entry.data);
    if (command.type === 'error') return command;
    return this.execute(command, entry.index);
  }

  /**
   * Applies a decoded command as the entry at `index` (what `apply` does after
   * decoding). Checks it again, so a command built in code is held to the
   * same bounds as one decoded from the log.
   */
  applyCommand(command: CoordinationCommand, index: number): CoordinationResult {
    return checkCommand(command) ?? this.execute(command, index);
  }

  /**
   * The effects of the entries applied since the last call, oldest first;
   * the queue is emptied. The runtime takes them after every apply (they
   * accumulate until taken).
   */
  takeEffects(): CoordinationEffect[] {
    const taken = this.effects;
    this.effects = [];
    return taken;
  }

  /** The current grant of a lock, or an election's winner (with its value). */
  holder(space: LockSpace, name: string): LockHolderInfo | undefined {
    return readHolder(this.tables, space, name);
  }

  /** The requests waiting for a lock, oldest (next to be granted) first. */
  waiters(space: LockSpace, name: string): LockWaiterInfo[] {
    return readWaiters(this.tables, space, name);
  }

  lease(leaseId: number): LeaseInfo | undefined {
    return readLease(this.tables, leaseId);
  }

  /**
   * Every live lease with its ttlMs, by id: what a new leader reads to start
   * timing each one with its full TTL (it cannot know the old leader's timers).
   */
  leases(): LeaseInfo[] {
    return readLeases(this.tables);
  }

  /** Counts and the first `listMax` locks and elections, for a status page. */
  summary(listMax: number = SUMMARY_LIST_MAX_DEFAULT): CoordinationSummary {
    return readSummary(this.tables, listMax);
  }

  /** The whole state, canonically encoded: equal states give equal bytes. */
  snapshot(): Uint8Array {
    return encodeCoordinationSnapshot(this.tables);
  }

  /**
   * Replaces the whole state with a snapshot's and drops effects not taken
   * (they belong to entries the snapshot covers). The entries a snapshot
   * covers produce no effects here, so after installing one the runtime
   * settles its own pending requests from the reads: a waiter of its that
   * is now the holder was granted, one neither holding nor waiting ended.
   * `BATON_STORAGE_CORRUPT` if the bytes are not a snapshot this code
   * wrote; the state is unchanged then.
   */
  restore(data: Uint8Array): void {
    this.tables = decodeCoordinationSnapshot(data, this.limits);
    this.effects = [];
  }

  private execute(command: CoordinationCommand, index: number): CoordinationResult {
    switch (command.type) {
      case 'grantLease':
        return this.grantLease(command, index);
      case 'revokeLease':
        return this.endLease(command.leaseId, index, 'revoked');
      case 'expireLease':
        return this.endLease(command.leaseId, index, 'expired');
      case 'acquire':
        return this.acquire(command, index);
      case 'release':
        return this.release(command, index);
      case 'cancel':
        return this.cancel(command, index);
    }
  }

  private grantLease(command: GrantLeaseCommand, index: number): CoordinationResult {
    const full = this.tables.roomForLease(command.owner);
    if (full) return rejected(full, `no room for another lease (${full})`);
    const { ttlMs, owner } = command;
    this.tables.addLease(index, ttlMs, owner);
    this.effects.push({ type: 'leaseGranted', index, leaseId: index, ttlMs, owner });
    return { type: 'leaseGranted', leaseId: index, ttlMs };
  }

  /**
   * Ends a lease in one entry: withdraws its waits and releases its grants,
   * granting each lock's next waiter at this index. Locks are visited in key
   * order, so every member lists the same effects in the same order.
   */
  private endLease(leaseId: number, index: number, reason: LeaseEndReason): CoordinationResult {
    const lease = this.tables.leases.get(leaseId);
    if (!lease) return rejected('unknown-lease', `lease ${leaseId} does not exist`);
    this.effects.push({ type: 'leaseEnded', index, leaseId, reason });
    let released = 0;
    let withdrawn = 0;
    for (const key of [...lease.requests.keys()].sort(compareKeys)) {
      const lock = this.tables.locks.get(key);
      if (!lock) continue;
      // Withdraw its waits first, so the grant it releases never passes to itself.
      for (let i = 0; i < lock.waiters.length; ) {
        if (lock.waiters[i]?.leaseId !== leaseId) {
          i++;
          continue;
        }
        const { waiterId } = this.tables.removeWaiter(lock, i);
        const { space, name } = lock;
        this.effects.push({ type: 'waitEnded', index, space, name, leaseId, waiterId, reason });
        withdrawn++;
      }
      if (lock.holder.leaseId === leaseId) {
        this.endGrant(lock, index, reason);
        released++;
      }
    }
    this.tables.removeLease(lease);
    return { type: 'leaseEnded', leaseId, released, withdrawn };
  }

  private acquire(command: AcquireCommand, index: number): CoordinationResult {
    const { space, name, leaseId, value } = command;
    const lease = this.tables.leases.get(leaseId);
    if (!lease) return rejected('unknown-lease', `lease ${leaseId} does not exist`);
    const lock = this.tables.locks.get(lockKey(space, name));
    if (lock && !command.wait) {
      const { holder } = lock;
      return { type: 'held', holder: { leaseId: holder.leaseId, fencingToken: holder.fencingToken } };
    }
    const full = this.tables.roomForRequest(lock, name, value);
    if (full) return rejected(full, `no room to ${lock ? 'queue for' : 'grant'} ${space} ${name} (${full})`);
    const request = this.tables.request(index, leaseId, value);
    if (lock) {
      this.tables.enqueue(lock, request);
      return { type: 'queued', waiterId: index };
    }
    const created = this.tables.createLock(space, name, { ...request, fencingToken: index });
    this.pushGranted(created, index);
    return { type: 'granted', fencingToken: index };
  }

  private release(command: ReleaseCommand, index: number): CoordinationResult {
    const { space, name, leaseId, fencingToken } = command;
    const lock = this.tables.locks.get(lockKey(space, name));
    // The exact grant only: an older token (a late or retried release) must never free a newer grant.
    if (!lock || lock.holder.leaseId !== leaseId || lock.holder.fencingToken !== fencingToken) {
      return rejected(
        'not-held',
        `${space} ${name} is not held by lease ${leaseId} with token ${fencingToken}`,
      );
    }
    this.endGrant(lock, index, 'released');
    return { type: 'released' };
  }

  private cancel(command: CancelCommand, index: number): CoordinationResult {
    const { space, name, leaseId, waiterId } = command;
    const lock = this.tables.locks.get(lockKey(space, name));
    if (!lock) return { type: 'notWaiting' };
    const position = lock.waiters.findIndex((w) => w.waiterId === waiterId && w.leaseId === leaseId);
    if (position >= 0) {
      this.tables.removeWaiter(lock, position);
      // No grant can follow: a lock with waiters always has a holder, which stays.
      this.effects.push({ type: 'waitEnded', index, space, name, leaseId, waiterId, reason: 'cancelled' });
      return { type: 'cancelled' };
    }
    if (lock.holder.waiterId === waiterId && lock.holder.leaseId === leaseId) {
      return { type: 'alreadyGranted', fencingToken: lock.holder.fencingToken };
    }
    return { type: 'notWaiting' };
  }

  /** Ends the lock's grant and grants its oldest waiter, with effects for both. */
  private endGrant(lock: LockRecord, index: number, reason: GrantEndReason): void {
    const { space, name, holder } = lock;
    const { leaseId, fencingToken } = holder;
    this.effects.push({ type: 'released', index, space, name, leaseId, fencingToken, reason });
    if (this.tables.endGrant(lock, index)) this.pushGranted(lock, index);
  }

  private pushGranted(lock: LockRecord, index: number): void {
    const { space, name, holder } = lock;
    const owner = this.tables.leases.get(holder.leaseId)?.owner ?? '';
    const granted = {
      type: 'granted' as const,
      index,
      space,
      name,
      leaseId: holder.leaseId,
      owner,
      waiterId: holder.waiterId,
      fencingToken: holder.fencingToken,
    };
    this.effects.push(holder.value === undefined ? granted : { ...granted, value: holder.value });
  }
}
