import type { MemberId, Term } from '../../raft/types.js';

/**
 * Election safety (Raft paper §5.2, Figure 3) over a whole run: at most one
 * member is ever leader in a given term, across crashes and restarts. It
 * remembers every (term, leader) it was shown, so a member elected in a term
 * another member already led in — even one that has crashed since — is caught.
 */
export class LeadersByTerm {
  private readonly leaders = new Map<Term, MemberId>();

  /** Records that `id` leads in `term`; returns the other member that led in it, if any. */
  observe(id: MemberId, term: Term): MemberId | undefined {
    const known = this.leaders.get(term);
    if (known === undefined) this.leaders.set(term, id);
    return known !== undefined && known !== id ? known : undefined;
  }

  /** The member that led in `term`, if any was seen. */
  leaderOf(term: Term): MemberId | undefined {
    return this.leaders.get(term);
  }
}
