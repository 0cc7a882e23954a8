/**
 * The commands of the coordination state machine (leases, locks, named
 * elections) and what applying one answers. Every type here is plain data:
 * results are cached in the replicated session table and answered to
 * retries, and travel in snapshots as JSON.
 */

/**
 * Locks and named elections share one table but not one namespace: a lock
 * named "billing-cron" and the election "billing-cron" are different entries,
 * so code taking a lock can never block, or be mistaken for, an election.
 */
export type LockSpace = 'lock' | 'election';

/** Every {@link LockSpace}, in the order snapshots and listings sort them (elections first). */
export const LOCK_SPACES: readonly LockSpace[] = ['election', 'lock'];

/**
 * Grants a lease of `ttlMs` to the member `owner`. Its id is the index of the
 * granting entry. Time never enters the state: the leader times the lease and
 * proposes {@link ExpireLeaseCommand} when it runs out.
 */
export interface GrantLeaseCommand {
  readonly type: 'grantLease';
  readonly ttlMs: number;
  /** The member id the lease belongs to, reported as the holder's `memberId`. */
  readonly owner: string;
}

/** Ends a lease at its owner's request: releases all it holds and withdraws all it waits for. */
export interface RevokeLeaseCommand {
  readonly type: 'revokeLease';
  readonly leaseId: number;
}

/**
 * Ends a lease the leader's clock says ran out; the same effect as revoke,
 * with reason 'expired'. Only a leader proposes it. An expire appended by a
 * leader that is then deposed may still commit under the next one, so a
 * leader answers keep-alives only for leases live in its applied state once
 * it has applied an entry of its own term, and never for a lease whose
 * expiry it has proposed.
 */
export interface ExpireLeaseCommand {
  readonly type: 'expireLease';
  readonly leaseId: number;
}

/**
 * Asks for the lock (or election) `name` on behalf of lease `leaseId`. Granted
 * at once when free; otherwise queued FIFO when `wait`, or answered `held`
 * without queueing when not (tryAcquire). `value` is what the holder
 * announces (an election winner's URL, say). Not reentrant: a second acquire
 * by a lease that already holds the lock is a request of its own, queued
 * behind the first (or answered `held`).
 */
export interface AcquireCommand {
  readonly type: 'acquire';
  readonly space: LockSpace;
  readonly name: string;
  readonly leaseId: number;
  readonly value?: string;
  readonly wait: boolean;
}

/**
 * Gives up the grant `fencingToken` of lease `leaseId`. Only that exact grant
 * is released: a late or retried release carrying an older token is refused
 * (`not-held`) and never frees a newer grant. The next waiter is granted in
 * the same entry.
 */
export interface ReleaseCommand {
  readonly type: 'release';
  readonly space: LockSpace;
  readonly name: string;
  readonly leaseId: number;
  readonly fencingToken: number;
}

/**
 * Withdraws the waiting request `waiterId` (an aborted or timed-out wait). If
 * it was granted before the cancel was applied, the answer says so with its
 * token, and the caller must release it.
 */
export interface CancelCommand {
  readonly type: 'cancel';
  readonly space: LockSpace;
  readonly name: string;
  readonly leaseId: number;
  readonly waiterId: number;
}

/** Every command the coordination state machine applies. */
export type CoordinationCommand =
  | GrantLeaseCommand
  | RevokeLeaseCommand
  | ExpireLeaseCommand
  | AcquireCommand
  | ReleaseCommand
  | CancelCommand;

/** Why a command was refused, as a stable string (callers branch on it, never on `message`). */
export type CoordinationErrorCode =
  /** The bytes are not a command encodeCommand writes (unknown version or type, truncated, trailing bytes). */
  | 'malformed-command'
  /** A name that is empty, too long, or holds a control character. */
  | 'invalid-name'
  /** A value over VALUE_BYTES_MAX bytes. */
  | 'invalid-value'
  /** An owner (member id) that is empty, too long, or holds a control character. */
  | 'invalid-owner'
  /** A ttlMs that is not an integer in 1..TTL_MS_MAX. */
  | 'invalid-ttl'
  /** The lease does not exist: never granted, or already revoked or expired. */
  | 'unknown-lease'
  /** A release whose (leaseId, fencingToken) is not the lock's current grant. */
  | 'not-held'
  /** leasesMax live leases already. */
  | 'leases-full'
  /** locksMax locks (held names) already. */
  | 'locks-full'
  /** waitersPerLockMax requests already wait for this lock. */
  | 'waiters-full'
  /** The state's bytes budget (stateBytesMax) would be exceeded. */
  | 'state-full';

/** A refused command: nothing changed. */
export interface CommandRejected {
  readonly type: 'error';
  readonly code: CoordinationErrorCode;
  readonly message: string;
}

/** The grant a lock has now, as a tryAcquire that found it taken reports it. */
export interface HeldBy {
  readonly leaseId: number;
  readonly fencingToken: number;
}

/** What applying a command answered. Each command's own answers, plus {@link CommandRejected}. */
export type CoordinationResult =
  /** grantLease: the lease exists; its id is the granting entry's index. */
  | { readonly type: 'leaseGranted'; readonly leaseId: number; readonly ttlMs: number }
  /** revokeLease / expireLease: the lease is gone, with how many grants it released and waits it withdrew. */
  | {
      readonly type: 'leaseEnded';
      readonly leaseId: number;
      readonly released: number;
      readonly withdrawn: number;
    }
  /** acquire: granted now; the fencing token is this entry's index. */
  | { readonly type: 'granted'; readonly fencingToken: number }
  /** acquire with wait: queued; the grant arrives later as a `granted` effect with this waiterId. */
  | { readonly type: 'queued'; readonly waiterId: number }
  /** acquire without wait: taken by this grant; nothing was queued. */
  | { readonly type: 'held'; readonly holder: HeldBy }
  /** release: done (the next waiter, if any, was granted in this entry). */
  | { readonly type: 'released' }
  /** cancel: the waiting request is withdrawn. */
  | { readonly type: 'cancelled' }
  /** cancel: the request had been granted meanwhile, with this token; the caller must release it. */
  | { readonly type: 'alreadyGranted'; readonly fencingToken: number }
  /** cancel: no such request waits or holds (already released, withdrawn by its lease's end, or never queued). */
  | { readonly type: 'notWaiting' }
  | CommandRejected;

/** Why a lease ended: its owner revoked it, or the leader's clock said it ran out. */
export type LeaseEndReason = 'revoked' | 'expired';
/** Why a grant ended: released by its holder, or its lease ended. */
export type GrantEndReason = 'released' | LeaseEndReason;
/** Why a waiting request was withdrawn: cancelled by its asker, or its lease ended. */
export type WaitEndReason = 'cancelled' | LeaseEndReason;

/**
 * A change an applied entry caused, for the runtime to deliver right after
 * that apply: waiters learn of their grant from these, never by polling.
 * `index` is the entry's. The effects of one entry are listed in the order
 * they happened; the state after the entry is what the reads return.
 */
export type CoordinationEffect =
  | {
      readonly type: 'leaseGranted';
      readonly index: number;
      readonly leaseId: number;
      readonly ttlMs: number;
      readonly owner: string;
    }
  | {
      readonly type: 'leaseEnded';
      readonly index: number;
      readonly leaseId: number;
      readonly reason: LeaseEndReason;
    }
  /** A lock or election granted: at once (waiterId = fencingToken = index) or to the oldest waiter. */
  | {
      readonly type: 'granted';
      readonly index: number;
      readonly space: LockSpace;
      readonly name: string;
      readonly leaseId: number;
      readonly owner: string;
      /** The acquire entry's index: the `waiterId` its `queued` result gave. */
      readonly waiterId: number;
      readonly fencingToken: number;
      readonly value?: string;
    }
  /** A grant ended (released by its holder, or its lease revoked or expired). */
  | {
      readonly type: 'released';
      readonly index: number;
      readonly space: LockSpace;
      readonly name: string;
      readonly leaseId: number;
      readonly fencingToken: number;
      readonly reason: GrantEndReason;
    }
  /** A waiting request withdrawn without being granted. */
  | {
      readonly type: 'waitEnded';
      readonly index: number;
      readonly space: LockSpace;
      readonly name: string;
      readonly leaseId: number;
      readonly waiterId: number;
      readonly reason: WaitEndReason;
    };
