import { describe, expect, it } from 'vitest';
import { Driver } from './coordination-driver.js';

describe('named elections (campaign = acquire with a value, resign = release)', () => {
  it('the winner announces its value; candidates queue FIFO with theirs; resign hands over at once', () => {
    const d = new Driver();
    const a = d.grantLease(10_000, 'n1');
    const b = d.grantLease(10_000, 'n2');
    const won = d.acquire('billing-cron', a, true, 'ws://n1:8080', 'election');
    expect(won.result).toEqual({ type: 'granted', fencingToken: won.index });
    expect(won.effects).toMatchObject([
      { type: 'granted', space: 'election', name: 'billing-cron', owner: 'n1', value: 'ws://n1:8080' },
    ]);
    const candidate = d.acquire('billing-cron', b, true, 'ws://n2:8080', 'election');
    expect(candidate.result).toEqual({ type: 'queued', waiterId: candidate.index });
    expect(d.state.waiters('election', 'billing-cron')).toEqual([
      { waiterId: candidate.index, leaseId: b, owner: 'n2', value: 'ws://n2:8080' },
    ]);
    const resign = d.release('billing-cron', a, won.index, 'election');
    expect(resign.effects.map((e) => e.type)).toEqual(['released', 'granted']);
    expect(d.state.holder('election', 'billing-cron')).toEqual({
      leaseId: b,
      owner: 'n2',
      fencingToken: resign.index,
      waiterId: candidate.index,
      value: 'ws://n2:8080',
    });
  });

  it('live in their own space: a lock named like an election neither blocks it nor reads as it', () => {
    const d = new Driver();
    const a = d.grantLease(10_000, 'n1');
    const b = d.grantLease(10_000, 'n2');
    const lock = d.acquire('billing-cron', a);
    const election = d.acquire('billing-cron', b, false, 'ws://n2', 'election');
    expect(election.result).toEqual({ type: 'granted', fencingToken: election.index });
    expect(d.state.holder('lock', 'billing-cron')).toMatchObject({ leaseId: a, fencingToken: lock.index });
    expect(d.state.holder('election', 'billing-cron')).toMatchObject({ leaseId: b, value: 'ws://n2' });
    // Releasing one with the other's space is refused.
    expect(d.release('billing-cron', a, lock.index, 'election').result).toMatchObject({ code: 'not-held' });
    expect(d.state.summary()).toMatchObject({
      locks: 1,
      elections: 1,
      listed: [
        { space: 'election', name: 'billing-cron' },
        { space: 'lock', name: 'billing-cron' },
      ],
    });
  });

  it('a winner whose lease expires loses in the same entry that elects the next candidate', () => {
    const d = new Driver();
    const a = d.grantLease(10_000, 'n1');
    const b = d.grantLease(10_000, 'n2');
    d.acquire('e', a, true, 'one', 'election');
    d.acquire('e', b, true, 'two', 'election');
    const expiry = d.expire(a);
    expect(expiry.effects).toMatchObject([
      { type: 'leaseEnded', leaseId: a, reason: 'expired' },
      { type: 'released', space: 'election', name: 'e', leaseId: a, reason: 'expired' },
      { type: 'granted', space: 'election', name: 'e', leaseId: b, value: 'two', fencingToken: expiry.index },
    ]);
  });

  it('an empty value is a value', () => {
    const d = new Driver();
    const a = d.grantLease();
    d.acquire('e', a, true, '', 'election');
    expect(d.state.holder('election', 'e')?.value).toBe('');
  });
});
