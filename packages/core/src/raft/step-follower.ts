import type { Raft } from './raft.js';
import type { AppendRequest, HeartbeatRequest, Message, SnapshotRequest } from './types.js';

/** Follower message handling (paper §5.3, §7), after the common term rules of Raft.step. */
export function stepFollower(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
      heardFromLeader(r, m.from);
      handleAppend(r, m);
      return;
    case 'heartbeat':
      heardFromLeader(r, m.from);
      handleHeartbeat(r, m);
      return;
    case 'snapshot':
      heardFromLeader(r, m.from);
      handleSnapshot(r, m);
      return;
    case 'timeoutNow':
      // The leader hands over to us: campaign now, past everyone's stickiness.
      // Only the leader we follow may ask for that.
      if (m.from === r.leaderId) r.campaign(true);
      return;
    case 'readIndexResp':
      if (m.reject) r.readFailures.push({ requestId: m.requestId });
      else r.readStates.push({ requestId: m.requestId, index: m.index });
      return;
    default:
      return;
  }
}

function heardFromLeader(r: Raft, leaderId: string): void {
  r.electionElapsed = 0;
  r.lastLeaderContactTick = r.tickCount;
  r.leaderId = leaderId;
}

/** Paper §5.3 AppendEntries receiver, answering with a backtracking hint on a mismatch. */
export function handleAppend(r: Raft, m: AppendRequest): void {
  const base = { type: 'appendResp', from: r.id, to: m.from, term: r.term } as const;
  if (m.prevLogIndex < r.log.committed) {
    // Everything up to our commit index already matches the leader.
    r.send({ ...base, reject: false, index: r.log.committed, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const lastNew = r.log.maybeAppend(m.prevLogIndex, m.prevLogTerm, m.entries);
  if (lastNew !== undefined) {
    r.commitTo(Math.min(m.commit, lastNew));
    r.send({ ...base, reject: false, index: lastNew, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const hint = r.log.findConflictByTerm(Math.min(m.prevLogIndex, r.log.lastIndex()), m.prevLogTerm);
  r.send({ ...base, reject: true, index: m.prevLogIndex, hintIndex: hint.index, hintTerm: hint.term });
}

function handleHeartbeat(r: Raft, m: HeartbeatRequest): void {
  // The leader never sends a commit index past what we acknowledged in its
  // term; if our log is shorter, entries we acknowledged (after fsync) are
  // gone: the disk lost data. Say so rather than lag behind silently.
  if (m.commit > r.log.lastIndex() && r.lostEntries === undefined) {
    r.lostEntries = { leaderId: m.from, term: m.term, commit: m.commit, lastIndex: r.log.lastIndex() };
  }
  r.commitTo(Math.min(m.commit, r.log.lastIndex()));
  r.send({ type: 'heartbeatResp', from: r.id, to: m.from, term: r.term, round: m.round });
}

/** Paper §7 InstallSnapshot receiver. */
function handleSnapshot(r: Raft, m: SnapshotRequest): void {
  const { meta } = m.snapshot;
  const base = {
    type: 'appendResp',
    from: r.id,
    to: m.from,
    term: r.term,
    hintIndex: 0,
    hintTerm: 0,
  } as const;
  if (meta.index <= r.log.committed) {
    r.send({ ...base, reject: false, index: r.log.committed });
    return;
  }
  if (r.log.matchTerm(meta.index, meta.term)) {
    // Our log already holds the snapshot's last entry: just fast-forward the commit.
    r.commitTo(meta.index);
    r.send({ ...base, reject: false, index: r.log.committed });
    return;
  }
  r.log.restoreSnapshot(m.snapshot);
  r.config = meta.config;
  r.latestSnapshot = m.snapshot;
  r.send({ ...base, reject: false, index: meta.index });
}
