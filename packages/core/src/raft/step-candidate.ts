import type { Raft } from './raft.js';
import { stepFollower } from './step-follower.js';
import type { Message } from './types.js';

/** Candidate and pre-candidate message handling (paper §5.2). */
export function stepCandidate(r: Raft, m: Message): void {
  switch (m.type) {
    case 'append':
    case 'heartbeat':
    case 'snapshot':
      // A leader of our term exists (or, for a pre-candidate, of the current term).
      r.becomeFollower(m.term, m.from);
      stepFollower(r, m);
      return;
    case 'voteResp':
    case 'preVoteResp':
      if ((m.type === 'voteResp') !== (r.role === 'candidate')) return; // a stale answer
      r.votes.set(m.from, !m.reject);
      r.pollVotes();
      return;
    case 'readIndexResp':
      stepFollower(r, m);
      return;
    default:
      return;
  }
}
