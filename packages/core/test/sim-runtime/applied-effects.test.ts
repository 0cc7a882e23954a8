import { describe, expect, it } from 'vitest';
import { AppliedEffects } from '../../src/sim/runtime/applied-effects.js';
import type { CoordinationEffect } from '../../src/state/coordination-commands.js';

const granted = (index: number, leaseId: number, name = 'a'): CoordinationEffect => ({
  type: 'granted',
  index,
  space: 'lock',
  name,
  leaseId,
  owner: 'n1',
  waiterId: index,
  fencingToken: index,
});
const released = (
  index: number,
  fencingToken: number,
  reason: 'released' | 'expired',
): CoordinationEffect => ({
  type: 'released',
  index,
  space: 'lock',
  name: 'a',
  leaseId: 1,
  fencingToken,
  reason,
});

describe('AppliedEffects', () => {
  it('keeps grants and their ends, and compares later applications of an index with the first', () => {
    const e = new AppliedEffects();
    e.applied('n1', 2, [granted(2, 1)]);
    e.applied('n1', 3, []);
    e.applied('n1', 4, [
      { type: 'leaseEnded', index: 4, leaseId: 1, reason: 'expired' },
      released(4, 2, 'expired'),
      granted(4, 3),
    ]);
    e.applied('n2', 4, [
      { type: 'leaseEnded', index: 4, leaseId: 1, reason: 'expired' },
      released(4, 2, 'expired'),
      granted(4, 3),
    ]);
    expect(e.violation).toBeUndefined();
    expect(e.grant('lock', 'a', 2)).toMatchObject({ leaseId: 1 });
    expect(e.end('lock', 'a', 2)).toEqual({ index: 4, reason: 'expired' });
    expect(e.nextGrant('lock', 'a', 2)).toMatchObject({ index: 4, leaseId: 3 });
    expect(e.stats()).toMatchObject({ entries: 3, grants: 2, expiries: 1, expiryComparisons: 1 });
  });

  it('notes a member whose entry did something else at the same index (an expiry releasing other locks)', () => {
    const e = new AppliedEffects();
    e.applied('n1', 4, [released(4, 2, 'expired'), granted(4, 3)]);
    e.applied('n2', 4, [released(4, 2, 'expired')]);
    expect(e.violation).toMatch(/^n2 applied index 4 with effects/);
  });

  it('notes a grant whose token is not its index, or not above the last grant of its lock', () => {
    const wrong = new AppliedEffects();
    wrong.applied('n1', 5, [{ ...granted(5, 1), fencingToken: 4 } as CoordinationEffect]);
    expect(wrong.violation).toMatch(/fencing token 4 at index 5/);
    const order = new AppliedEffects();
    order.applied('n1', 5, [granted(5, 1)]);
    order.applied('n1', 3, [granted(3, 1)]);
    expect(order.violation).toMatch(/token 3 after token 5/);
  });
});
