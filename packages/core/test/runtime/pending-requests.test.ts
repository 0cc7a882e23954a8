import { describe, expect, it } from 'vitest';
import { BatonError } from '../../src/errors.js';
import { PendingProposals, PendingReads } from '../../src/runtime/pending-requests.js';

describe('PendingProposals', () => {
  // On a follower two forwarded commands may be answered with the same index by leaders of
  // different terms (the first leader's entry was lost with its term): neither waiter may be lost.
  it('two waiters on one index both settle: the one whose term was applied resolves, the other fails', async () => {
    const proposals = new PendingProposals();
    const outcomes: string[] = [];
    const first = proposals.add(10, 5).promise.then(
      () => outcomes.push('first resolved'),
      () => outcomes.push('first rejected'),
    );
    const second = proposals.add(10, 6).promise.then(
      () => outcomes.push('second resolved'),
      () => outcomes.push('second rejected'),
    );
    proposals.applied({ type: 'noop', index: 10, term: 6 }, { kind: 'ok', result: 'ok' });
    proposals.rejectAll(new BatonError('BATON_STOPPED', 'stopping'));
    await second;
    // Give the first one every chance to settle.
    await Promise.race([first, new Promise((resolve) => setImmediate(resolve))]);
    expect(outcomes.sort()).toEqual(['first rejected', 'second resolved']);
  });

  it('a cancelled wait leaves nothing behind, and the other waiter on that index still settles', async () => {
    const proposals = new PendingProposals();
    const gone = proposals.add(10, 5);
    const kept = proposals.add(10, 5);
    expect(proposals.size).toBe(2);
    gone.cancel();
    expect(proposals.size).toBe(1);
    proposals.applied({ type: 'noop', index: 10, term: 5 }, { kind: 'ok', result: 42 });
    await expect(kept.promise).resolves.toEqual({ kind: 'ok', result: 42 });
    expect(proposals.size).toBe(0);
  });
});

describe('PendingReads', () => {
  it('a withdrawn read leaves nothing behind', () => {
    const reads = new PendingReads();
    void reads.add('r1');
    expect(reads.size).toBe(1);
    reads.withdraw('r1');
    expect(reads.size).toBe(0);
    reads.confirmed('r1', 3, 5); // a late confirmation finds nothing to settle
    expect(reads.size).toBe(0);
  });
});
