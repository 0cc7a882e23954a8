export type { LeaderLeaseOptions } from './leader-lease.js';
export { LeaderLease } from './leader-lease.js';
export { applyConfigChange, initialConfig, isMember, isVoter } from './membership.js';
export { majority, quorumIndex } from './quorum.js';
export type { RaftOptions } from './raft-options.js';
export type { ProposeResult, RaftStatus, RestoredState } from './raw-node.js';
export { RawNode } from './raw-node.js';
export type { ReadFailure, ReadState, Ready, SoftState } from './ready.js';
export type {
  AppendRequest,
  AppendResponse,
  ClusterConfig,
  ConfigChange,
  Entry,
  HardState,
  HeartbeatRequest,
  HeartbeatResponse,
  LogIndex,
  MemberId,
  Message,
  MessageType,
  ReadIndexRequest,
  ReadIndexResponse,
  Role,
  Snapshot,
  SnapshotMeta,
  SnapshotRequest,
  Term,
  TimeoutNowRequest,
  VoteRequest,
  VoteResponse,
} from './types.js';
export { MESSAGE_TYPES } from './types.js';
