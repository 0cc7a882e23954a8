/**
 * `@baton/lock`: fencing-token locks over a `Cluster` (`Locks`, `HeldLock`).
 * Every grant carries a fencing token larger than all earlier grants of that
 * lock; a resource that refuses lower tokens stays safe even when a holder
 * was paused past its lease.
 *
 * @packageDocumentation
 * @module @baton/lock
 */
export type { LockLostCause } from './held-lock.js';
export { HeldLock } from './held-lock.js';
export type { AcquireOptions, LockHolder } from './locks.js';
export { Locks } from './locks.js';
export type { LocksOptions } from './locks-options.js';
