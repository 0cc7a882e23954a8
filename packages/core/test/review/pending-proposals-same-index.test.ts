import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/errors.js';
import { PendingProposals } from '../../src/runtime/pending-requests.js';

/**
 * Finding: PendingProposals keys waiters by index only, so a second waiter at
 * the same index (another term) replaces the first, whose promise then never
 * settles — not on apply, not on rejectAll (stop). On a follower this happens
 * when two forwarded commands are answered with the same index by leaders of
 * different terms (the first leader's entry was lost with its term).
 */
describe('review: two proposals waiting on the same index', () => {
  it('both settle: the one whose term was applied resolves, the other fails', async () => {
    const proposals = new PendingProposals();
    const outcomes: string[] = [];
    const first = proposals.add(10, 5).then(
      () => outcomes.push('first resolved'),
      () => outcomes.push('first rejected'),
    );
    const second = proposals.add(10, 6).then(
      () => outcomes.push('second resolved'),
      () => outcomes.push('second rejected'),
    );
    proposals.applied({ type: 'noop', index: 10, term: 6 }, 'ok');
    proposals.rejectAll(new BatonError('BATON_STOPPED', 'stopping'));
    await second;
    // Give the first one every chance to settle.
    await Promise.race([first, new Promise((resolve) => setImmediate(resolve))]);
    expect(outcomes.sort()).toEqual(['first rejected', 'second resolved']);
  });
});
