export type { LeaderJob, LeaderJobToken, LeadershipSource, RunOnLeaderOptions } from './run-on-leader.js';
export { runOnLeader } from './run-on-leader.js';
