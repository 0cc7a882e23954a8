import type { LogIndex, MemberId } from './types.js';

/** The smallest number of voters that forms a majority of `voterCount`. */
export function majority(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that a majority of `voters` has replicated, given each
 * voter's match index (paper §5.3: the commit candidate). An empty voter set
 * commits nothing.
 */
export function quorumIndex(voters: readonly MemberId[], matchOf: (id: MemberId) => LogIndex): LogIndex {
  if (voters.length === 0) return 0;
  const matches = voters.map(matchOf).sort((a, b) => b - a);
  return matches[majority(voters.length) - 1] ?? 0;
}

export type VoteOutcome = 'won' | 'lost' | 'pending';

/** Tallies granted and rejected votes among `voters`; votes of non-voters are ignored. */
export function voteOutcome(voters: readonly MemberId[], votes: ReadonlyMap<MemberId, boolean>): VoteOutcome {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === true) granted++;
    else if (v === false) rejected++;
  }
  const need = majority(voters.length);
  if (granted >= need) return 'won';
  if (voters.length - rejected < need) return 'lost';
  return 'pending';
}
