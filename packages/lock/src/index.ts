export type { LockLostCause } from './held-lock.js';
export { HeldLock } from './held-lock.js';
export type { AcquireOptions, LockHolder } from './locks.js';
export { Locks } from './locks.js';
export type { LocksOptions } from './locks-options.js';
