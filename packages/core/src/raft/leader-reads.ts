import type { Raft } from './raft.js';
import { bcastHeartbeat } from './replication.js';
import type { LogIndex, MemberId } from './types.js';

/**
 * ReadIndex on the leader (dissertation §6.4): a read is served at the commit
 * index it arrived at, once the leader has committed an entry of its own
 * term and a quorum has acknowledged a heartbeat round sent after the read.
 */
export function leaderRead(r: Raft, requestId: string, from: MemberId): void {
  if (r.reads.size + r.readsAwaitingCommit.length >= READS_PENDING_MAX) {
    failRead(r, requestId, from);
    return;
  }
  if (r.log.term(r.log.committed) !== r.term) {
    r.readsAwaitingCommit.push({ requestId, from });
    return;
  }
  if (r.config.voters.length === 1 && r.config.voters[0] === r.id) {
    releaseRead(r, requestId, from, r.log.committed);
    return;
  }
  // Confirmed by the next round; reads arriving before the next Ready share it
  // (RawNode.ready broadcasts it), so a burst of reads costs one round.
  r.reads.add({ requestId, from, index: r.log.committed, round: r.round + 1 });
  r.readRoundWanted = true;
}

/** Most reads a leader holds unconfirmed; more fail at once (the caller may retry). */
export const READS_PENDING_MAX = 4096;

/** Broadcasts the heartbeat round that pending reads wait for, if one is wanted. */
export function flushReadRound(r: Raft): void {
  if (!r.readRoundWanted) return;
  r.readRoundWanted = false;
  if (r.role === 'leader') bcastHeartbeat(r);
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
