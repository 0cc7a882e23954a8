export type { ClusterEvents, ClusterRole, ClusterStatus } from './cluster.js';
export { Cluster } from './cluster.js';
export type { ClusterOptions, LogLevel } from './cluster-options.js';
export type { Env, Logger, MonotonicClock, TimerHandle, Timers } from './env.js';
export type { BatonErrorCode } from './errors.js';
export { BatonError, isBatonError } from './errors.js';
export type { LeadershipLostCause } from './runtime/leadership-token.js';
export { LeadershipToken } from './runtime/leadership-token.js';
