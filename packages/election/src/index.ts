/**
 * `@baton/election`: named elections any member can win (`Election`), and
 * jobs that run only while this member leads the Raft cluster
 * (`runOnLeader`).
 *
 * @packageDocumentation
 * @module @baton/election
 */
export type { ElectionLeader, ElectionOptions } from './election.js';
export { Election } from './election.js';
export { ElectionLeadership } from './election-leadership.js';
export type { LeaderJob, LeaderJobToken, LeadershipSource, RunOnLeaderOptions } from './run-on-leader.js';
export { runOnLeader } from './run-on-leader.js';
