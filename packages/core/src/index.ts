/**
 * `@baton/core`: one member of a Baton cluster. `Cluster.start` joins the
 * application's own processes into a Raft cluster over WebSockets; a member
 * hands out leadership tokens (`cluster.leadership()`) and leases
 * (`cluster.grantLease()`), and carries the coordination surface that
 * `@baton/lock` and `@baton/election` are built on. The guarantees are in
 * `docs/contract.md`.
 *
 * @packageDocumentation
 * @module @baton/core
 */
export type { ClusterEvents, ClusterRole, ClusterStatus } from './cluster.js';
export { Cluster } from './cluster.js';
export type { ClusterOptions, LogLevel } from './cluster-options.js';
export type { CoordinationCallOptions, CoordinationView } from './coordination.js';
export { Coordination } from './coordination.js';
export type { Env, Logger, MonotonicClock, TimerHandle, Timers } from './env.js';
export type { BatonErrorCode } from './errors.js';
export { BatonError, isBatonError } from './errors.js';
export type { EffectListener } from './runtime/coordination-machine.js';
export type { LeadershipLostCause } from './runtime/leadership-token.js';
export { LeadershipToken } from './runtime/leadership-token.js';
export type { LeaseLostCause } from './runtime/lease.js';
export { Lease } from './runtime/lease.js';
export type { AcquireOptions, AcquireOutcome, AcquireRequest } from './runtime/lock-recipe.js';
export type { LeaseGranter } from './runtime/shared-lease.js';
export { SharedLease } from './runtime/shared-lease.js';
export type {
  AcquireCommand,
  CancelCommand,
  CommandRejected,
  CoordinationCommand,
  CoordinationEffect,
  CoordinationErrorCode,
  CoordinationResult,
  ExpireLeaseCommand,
  GrantEndReason,
  GrantLeaseCommand,
  HeldBy,
  LeaseEndReason,
  LockSpace,
  ReleaseCommand,
  RevokeLeaseCommand,
  WaitEndReason,
} from './state/coordination-commands.js';
export { NAME_BYTES_MAX, VALUE_BYTES_MAX } from './state/coordination-limits.js';
export type {
  CoordinationSummary,
  LeaseInfo,
  LockHolderInfo,
  LockSummary,
  LockWaiterInfo,
} from './state/coordination-reads.js';
