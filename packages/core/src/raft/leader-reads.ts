import type { Raft } from './raft.js';
import { bcastHeartbeat } from './replication.js';
import type { LogIndex, MemberId } from './types.js';

/**
 * ReadIndex on the leader (dissertation §6.4): a read is served at the commit
 * index it arrived at, once the leader has committed an entry of its own
 * term and a quorum has acknowledged a heartbeat round sent after the read.
 */
export function leaderRead(r: Raft, requestId: string, from: MemberId): void {
  if (r.log.term(r.log.committed) !== r.term) {
    r.readsAwaitingCommit.push({ requestId, from });
    return;
  }
  if (r.config.voters.length === 1 && r.config.voters[0] === r.id) {
    releaseRead(r, requestId, from, r.log.committed);
    return;
  }
  r.reads.add({ requestId, from, index: r.log.committed, round: r.round + 1 });
  bcastHeartbeat(r);
}

/** Hands a confirmed read to the local driver, or answers the follower that forwarded it. */
export function releaseRead(r: Raft, requestId: string, from: MemberId, index: LogIndex): void {
  if (from === r.id) r.readStates.push({ requestId, index });
  else r.send({ type: 'readIndexResp', from: r.id, to: from, term: r.term, requestId, index, reject: false });
}

export function failRead(r: Raft, requestId: string, from: MemberId): void {
  if (from === r.id) r.readFailures.push({ requestId });
  else
    r.send({ type: 'readIndexResp', from: r.id, to: from, term: r.term, requestId, index: 0, reject: true });
}

/** Fails every read the leader still holds (it is stepping down). */
export function failPendingReads(r: Raft): void {
  for (const read of r.reads.drain()) failRead(r, read.requestId, read.from);
  for (const read of r.readsAwaitingCommit) failRead(r, read.requestId, read.from);
  r.readsAwaitingCommit = [];
}
