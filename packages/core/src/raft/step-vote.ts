import type { Raft } from './raft.js';
import type { VoteRequest } from './types.js';

/**
 * RequestVote / PreVote receiver (paper §5.2, §5.4.1; dissertation §9.6),
 * after the common term rules of Raft.step. A vote is granted only to a
 * candidate whose log is at least as up-to-date as ours, and at most once per
 * term; a pre-vote is granted on the same log check whenever the candidate's
 * proposed term is ahead of ours.
 */
export function handleVoteRequest(r: Raft, m: VoteRequest): void {
  const respType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
  // Leader stickiness holds at any term: Raft.step drops higher-term requests
  // inside the window, and an equal-term one (after a stale answer moved our
  // term) is refused here, unless it is the member we already voted for.
  if (!m.transfer && r.vote !== m.from && r.inLeaderLease()) {
    r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
    return;
  }
  const canVote =
    r.vote === m.from ||
    (r.vote === undefined && r.leaderId === undefined) ||
    (m.type === 'preVote' && m.term > r.term);
  if (canVote && r.log.isUpToDate(m.lastLogIndex, m.lastLogTerm)) {
    // Answer with the term asked about: a pre-candidate has not bumped its own.
    r.send({ type: respType, from: r.id, to: m.from, term: m.term, reject: false });
    if (m.type === 'vote') {
      r.vote = m.from;
      r.electionElapsed = 0;
    }
    return;
  }
  r.send({ type: respType, from: r.id, to: m.from, term: r.term, reject: true });
}
