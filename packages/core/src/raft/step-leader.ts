import { leaderRead } from './leader-reads.js';
import { isVoter } from './membership.js';
import type { Raft } from './raft.js';
import { bcastAppend, maybeCommit, sendAppend, updateLeaseRound } from './replication.js';
import type { AppendResponse, HeartbeatResponse, MemberId, Message } from './types.js';

/** Leader message handling (paper §5.3, dissertation §3.10, §6.4). */
export function stepLeader(r: Raft, m: Message): void {
  switch (m.type) {
    case 'appendResp':
      handleAppendResponse(r, m);
      return;
    case 'heartbeatResp':
      handleHeartbeatResponse(r, m);
      return;
    case 'readIndex':
      if (r.progress.has(m.from)) leaderRead(r, m.requestId, m.from);
      return;
    default:
      return;
  }
}

function handleAppendResponse(r: Raft, m: AppendResponse): void {
  const pr = r.progress.get(m.from);
  if (!pr) return;
  pr.lastHeardTick = r.tickCount;
  if (m.reject) {
    // Fast backtracking: skip every entry of a term the follower cannot match.
    const hint = m.hintTerm > 0 ? r.log.findConflictByTerm(m.hintIndex, m.hintTerm).index : m.hintIndex;
    if (pr.maybeDecrTo(m.index, hint)) {
      if (pr.state === 'replicate') pr.becomeProbe();
      sendAppend(r, m.from);
    }
    return;
  }
  const wasPaused = pr.isPaused(r.opts.inflightMessagesMax);
  if (!pr.maybeUpdate(m.index)) return;
  if (pr.state === 'probe') {
    pr.becomeReplicate();
  } else if (pr.state === 'snapshot') {
    if (pr.match >= pr.pendingSnapshot) {
      pr.becomeProbe();
      pr.becomeReplicate();
    }
  } else {
    pr.freeTo(m.index);
  }
  if (maybeCommit(r)) {
    bcastAppend(r);
  } else if (wasPaused) {
    sendAppend(r, m.from);
  }
  // Keep the pipeline full while there is more to send.
  while (sendAppend(r, m.from, false)) {}
  if (m.from === r.leadTransferee && pr.match === r.log.lastIndex()) sendTimeoutNow(r, m.from);
}

function handleHeartbeatResponse(r: Raft, m: HeartbeatResponse): void {
  const pr = r.progress.get(m.from);
  if (!pr) return;
  pr.lastHeardTick = r.tickCount;
  pr.probeSent = false;
  if (m.round > (r.roundAcks.get(m.from) ?? 0)) {
    r.roundAcks.set(m.from, m.round);
    updateLeaseRound(r);
  }
  // A snapshot that got no answer within an election timeout is sent again.
  if (pr.state === 'snapshot' && r.tickCount - pr.snapshotSentAtTick >= r.opts.electionTicks)
    pr.becomeProbe();
  // Appends may have been lost: free a slot so replication can make progress.
  if (pr.state === 'replicate' && pr.isPaused(r.opts.inflightMessagesMax)) pr.freeFirstOne();
  if (pr.match < r.log.lastIndex()) sendAppend(r, m.from);
}

function sendTimeoutNow(r: Raft, to: MemberId): void {
  // From here on the target may campaign past everyone's stickiness, so this
  // member's leader lease is over for the rest of the term (Raft.leaseValid).
  r.timeoutNowSent = true;
  r.send({ type: 'timeoutNow', from: r.id, to, term: r.term });
}

/**
 * Leadership transfer (dissertation §3.10): stop accepting proposals, bring
 * the target up to date, then tell it to campaign at once. Abandoned after
 * an election timeout (see Raft.tickLeader).
 */
export function transferLeadership(r: Raft, to: MemberId): void {
  if (r.role !== 'leader' || to === r.id || !isVoter(r.config, to)) return;
  if (r.leadTransferee === to) return;
  r.leadTransferee = to;
  r.electionElapsed = 0;
  const pr = r.progress.get(to);
  if (pr && pr.match === r.log.lastIndex()) sendTimeoutNow(r, to);
  else sendAppend(r, to);
}
