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
  /** Discriminant. */
  readonly type: 'grantLease';
  /** Time-to-live in ms: 1 to TTL_MS_MAX. */
  readonly ttlMs: number;
  /** The member id the lease belongs to, reported as the holder's `memberId`. */
  readonly owner: string;
}

/** Ends a lease at its owner's request: releases all it holds and withdraws all it waits for. */
export interface RevokeLeaseCommand {
  /** Discriminant. */
  readonly type: 'revokeLease';
  /** The lease to end. */
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
  /** Discriminant. */
  readonly type: 'expireLease';
  /** The lease that ran out. */
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
  /** Discriminant. */
  readonly type: 'acquire';
  /** Lock or election. */
  readonly space: LockSpace;
  /** The lock or election name (1 to NAME_BYTES_MAX bytes, no control characters). */
  readonly name: string;
  /** The lease the grant will be held on. */
  readonly leaseId: number;
  /** What the holder announces (at most VALUE_BYTES_MAX bytes). */
  readonly value?: string;
  /** Queue when taken (true), or answer `held` without queueing (false). */
  readonly wait: boolean;
}

/**
 * Gives up the grant `fencingToken` of lease `leaseId`. Only that exact grant
 * is released: a late or retried release carrying an older token is refused
 * (`not-held`) and never frees a newer grant. The next waiter is granted in
 * the same entry.
 */
export interface ReleaseCommand {
  /** Discriminant. */
  readonly type: 'release';
  /** Lock or election. */
  readonly space: LockSpace;
  /** The lock or election name. */
  readonly name: string;
  /** The lease the grant is held on. */
  readonly leaseId: number;
  /** The grant to release: its fencing token. */
  readonly fencingToken: number;
}

/**
 * Withdraws the waiting request `waiterId` (an aborted or timed-out wait). If
 * it was granted before the cancel was applied, the answer says so with its
 * token, and the caller must release it.
 */
export interface CancelCommand {
  /** Discriminant. */
  readonly type: 'cancel';
  /** Lock or election. */
  readonly space: LockSpace;
  /** The lock or election name. */
  readonly name: string;
  /** The lease the request was made on. */
  readonly leaseId: number;
  /** The request to withdraw: the `waiterId` its `queued` result gave. */
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
  /** Discriminant. */
  readonly type: 'error';
  /** Why, as a stable string. */
  readonly code: CoordinationErrorCode;
  /** A sentence for people; do not parse it. */
  readonly message: string;
}

/** The grant a lock has now, as a tryAcquire that found it taken reports it. */
export interface HeldBy {
  /** The lease the grant is held on. */
  readonly leaseId: number;
  /** The grant's fencing token. */
  readonly fencingToken: number;
}

/** What applying a command answered. Each command's own answers, plus {@link CommandRejected}. */
export type CoordinationResult =
  /** grantLease: the lease exists; its id is the granting entry's index. */
  | {
      /** Discriminant. */
      readonly type: 'leaseGranted';
      /** The new lease's id (the granting entry's index). */
      readonly leaseId: number;
      /** Its TTL in ms. */
      readonly ttlMs: number;
    }
  /** revokeLease / expireLease: the lease is gone, with how many grants it released and waits it withdrew. */
  | {
      /** Discriminant. */
      readonly type: 'leaseEnded';
      /** The lease that ended. */
      readonly leaseId: number;
      /** How many grants it held were released. */
      readonly released: number;
      /** How many of its waiting requests were withdrawn. */
      readonly withdrawn: number;
    }
  /** acquire: granted now; the fencing token is this entry's index. */
  | {
      /** Discriminant. */
      readonly type: 'granted';
      /** This entry's index. */
      readonly fencingToken: number;
    }
  /** acquire with wait: queued; the grant arrives later as a `granted` effect with this waiterId. */
  | {
      /** Discriminant. */
      readonly type: 'queued';
      /** This entry's index; the later `granted` effect carries it. */
      readonly waiterId: number;
    }
  /** acquire without wait: taken by this grant; nothing was queued. */
  | {
      /** Discriminant. */
      readonly type: 'held';
      /** The grant that holds it. */
      readonly holder: HeldBy;
    }
  /** release: done (the next waiter, if any, was granted in this entry). */
  | {
      /** Discriminant. */
      readonly type: 'released';
    }
  /** cancel: the waiting request is withdrawn. */
  | {
      /** Discriminant. */
      readonly type: 'cancelled';
    }
  /** cancel: the request had been granted meanwhile, with this token; the caller must release it. */
  | {
      /** Discriminant. */
      readonly type: 'alreadyGranted';
      /** The grant's fencing token. */
      readonly fencingToken: number;
    }
  /** cancel: no such request waits or holds (already released, withdrawn by its lease's end, or never queued). */
  | {
      /** Discriminant. */
      readonly type: 'notWaiting';
    }
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
  /** A lease was granted. */
  | {
      /** Discriminant. */
      readonly type: 'leaseGranted';
      /** The entry's index (= the lease id). */
      readonly index: number;
      /** The new lease. */
      readonly leaseId: number;
      /** Its TTL in ms. */
      readonly ttlMs: number;
      /** The member it belongs to. */
      readonly owner: string;
    }
  /** A lease ended; its grants and waits end in the same entry (their own effects follow). */
  | {
      /** Discriminant. */
      readonly type: 'leaseEnded';
      /** The entry's index. */
      readonly index: number;
      /** The lease that ended. */
      readonly leaseId: number;
      /** Revoked by its owner, or expired by the leader. */
      readonly reason: LeaseEndReason;
    }
  /** A lock or election granted: at once (waiterId = fencingToken = index) or to the oldest waiter. */
  | {
      /** Discriminant. */
      readonly type: 'granted';
      /** The entry's index. */
      readonly index: number;
      /** Lock or election. */
      readonly space: LockSpace;
      /** The lock or election name. */
      readonly name: string;
      /** The lease the grant is held on. */
      readonly leaseId: number;
      /** The member that lease belongs to. */
      readonly owner: string;
      /** The acquire entry's index: the `waiterId` its `queued` result gave. */
      readonly waiterId: number;
      /** The grant's fencing token: this entry's index. */
      readonly fencingToken: number;
      /** What the holder announces, if anything. */
      readonly value?: string;
    }
  /** A grant ended (released by its holder, or its lease revoked or expired). */
  | {
      /** Discriminant. */
      readonly type: 'released';
      /** The entry's index. */
      readonly index: number;
      /** Lock or election. */
      readonly space: LockSpace;
      /** The lock or election name. */
      readonly name: string;
      /** The lease the grant was held on. */
      readonly leaseId: number;
      /** The grant that ended. */
      readonly fencingToken: number;
      /** Released by its holder, or its lease was revoked or expired. */
      readonly reason: GrantEndReason;
    }
  /** A waiting request withdrawn without being granted. */
  | {
      /** Discriminant. */
      readonly type: 'waitEnded';
      /** The entry's index. */
      readonly index: number;
      /** Lock or election. */
      readonly space: LockSpace;
      /** The lock or election name. */
      readonly name: string;
      /** The lease the request was made on. */
      readonly leaseId: number;
      /** The withdrawn request (its acquire entry's index). */
      readonly waiterId: number;
      /** Cancelled by its asker, or its lease ended. */
      readonly reason: WaitEndReason;
    };
