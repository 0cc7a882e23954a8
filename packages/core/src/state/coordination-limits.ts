/**
 * Bounds of the coordination state. They are part of the state machine's
 * definition — they decide what a command answers — so every member must use
 * the same ones: the runtime uses {@link DEFAULT_COORDINATION_LIMITS}.
 */

/** Most UTF-8 bytes in a lock or election name. */
export const NAME_BYTES_MAX = 256;
/** Most UTF-8 bytes in a holder's value (what an election winner announces, e.g. its URL). */
export const VALUE_BYTES_MAX = 1024;
/** Most UTF-8 bytes in a lease's owner (a member id; the transport's idBytesMax too). */
export const OWNER_BYTES_MAX = 256;
/** Longest lease: the largest delay a Node timer takes (2^31 - 1 ms, about 24.8 days). */
export const TTL_MS_MAX = 0x7fff_ffff;

/** Live leases at most. */
export const LEASES_MAX = 16_384;
/** Held locks and elections at most (a name with waiters is always held). */
export const LOCKS_MAX = 65_536;
/** Requests waiting for one lock at most. */
export const WAITERS_PER_LOCK_MAX = 4_096;
/**
 * The state's size budget: names, values and owners plus a fixed cost per
 * lease, lock and request. The encoded snapshot never exceeds it (each fixed
 * cost covers its record's encoding), so a snapshot of a full state still
 * fits the transport's 16 MiB frame beside the session table.
 */
export const STATE_BYTES_MAX: number = 8 * 1024 * 1024;

/** Bytes charged per lease on top of its owner's bytes. */
export const LEASE_COST_BYTES = 24;
/** Bytes charged per held lock on top of its name's bytes. */
export const LOCK_COST_BYTES = 16;
/** Bytes charged per grant or waiting request on top of its value's bytes. */
export const REQUEST_COST_BYTES = 32;

/** The table bounds of a coordination state (text bounds are fixed: they are part of the codec). */
export interface CoordinationLimits {
  readonly leasesMax: number;
  readonly locksMax: number;
  readonly waitersPerLockMax: number;
  readonly stateBytesMax: number;
}

/** The bounds every member of a cluster runs with. */
export const DEFAULT_COORDINATION_LIMITS: CoordinationLimits = Object.freeze({
  leasesMax: LEASES_MAX,
  locksMax: LOCKS_MAX,
  waitersPerLockMax: WAITERS_PER_LOCK_MAX,
  stateBytesMax: STATE_BYTES_MAX,
});
