import { describe, expect, it } from 'vitest';
import { Driver } from './coordination-driver.js';

/** A driver with leases a, b, c (owned by n1, n2, n3) granted at indexes 1, 2, 3. */
function threeLeases(): { d: Driver; a: number; b: number; c: number } {
  const d = new Driver();
  return { d, a: d.grantLease(10_000, 'n1'), b: d.grantLease(10_000, 'n2'), c: d.grantLease(10_000, 'n3') };
}

describe('acquire', () => {
  it('grants a free lock at once; the fencing token is the granting entry’s index', () => {
    const { d, a } = threeLeases();
    const step = d.acquire('invoice-42', a);
    expect(step.result).toEqual({ type: 'granted', fencingToken: step.index });
    expect(step.effects).toEqual([
      {
        type: 'granted',
        index: step.index,
        space: 'lock',
        name: 'invoice-42',
        leaseId: a,
        owner: 'n1',
        waiterId: step.index,
        fencingToken: step.index,
      },
    ]);
    expect(d.state.holder('lock', 'invoice-42')).toEqual({
      leaseId: a,
      owner: 'n1',
      fencingToken: step.index,
      waiterId: step.index,
    });
  });

  it('queues behind the holder when waiting: the waiterId is the acquire entry’s index, nothing granted', () => {
    const { d, a, b } = threeLeases();
    d.acquire('x', a);
    const step = d.acquire('x', b);
    expect(step.result).toEqual({ type: 'queued', waiterId: step.index });
    expect(step.effects).toEqual([]);
    expect(d.state.waiters('lock', 'x')).toEqual([{ waiterId: step.index, leaseId: b, owner: 'n2' }]);
  });

  it('tryAcquire of a held lock answers who holds it and queues nothing', () => {
    const { d, a, b } = threeLeases();
    const held = d.acquire('x', a);
    const step = d.acquire('x', b, false);
    expect(step.result).toEqual({ type: 'held', holder: { leaseId: a, fencingToken: held.index } });
    expect(step.effects).toEqual([]);
    expect(d.queue('x')).toEqual([]);
    // The holder releasing grants nobody: the try was never queued.
    const released = d.release('x', a, held.index);
    expect(released.effects.map((e) => e.type)).toEqual(['released']);
    expect(d.state.holder('lock', 'x')).toBeUndefined();
  });

  it('tryAcquire of a free lock grants it', () => {
    const { d, a } = threeLeases();
    const step = d.acquire('x', a, false);
    expect(step.result).toEqual({ type: 'granted', fencingToken: step.index });
  });

  it('refuses a lease that does not exist, changing nothing', () => {
    const { d } = threeLeases();
    const step = d.acquire('x', 999);
    expect(step.result).toMatchObject({ type: 'error', code: 'unknown-lease' });
    expect(step.effects).toEqual([]);
    expect(d.state.holder('lock', 'x')).toBeUndefined();
  });

  it('is not reentrant: a second acquire by the holding lease is a request of its own, queued behind', () => {
    const { d, a, b } = threeLeases();
    const first = d.acquire('x', a);
    expect(d.acquire('x', a, false).result).toEqual({
      type: 'held',
      holder: { leaseId: a, fencingToken: first.index },
    });
    const second = d.acquire('x', a);
    expect(second.result).toEqual({ type: 'queued', waiterId: second.index });
    d.acquire('x', b);
    const released = d.release('x', a, first.index);
    expect(d.state.holder('lock', 'x')).toMatchObject({ leaseId: a, fencingToken: released.index });
    expect(d.queue('x')).toEqual([b]);
  });
});

describe('release', () => {
  it('grants the oldest waiter in the same entry, its token that entry’s index (not its acquire’s)', () => {
    const { d, a, b } = threeLeases();
    const held = d.acquire('x', a);
    const queued = d.acquire('x', b, true, 'b-value');
    const step = d.release('x', a, held.index);
    expect(step.result).toEqual({ type: 'released' });
    expect(step.effects).toEqual([
      {
        type: 'released',
        index: step.index,
        space: 'lock',
        name: 'x',
        leaseId: a,
        fencingToken: held.index,
        reason: 'released',
      },
      {
        type: 'granted',
        index: step.index,
        space: 'lock',
        name: 'x',
        leaseId: b,
        owner: 'n2',
        waiterId: queued.index,
        fencingToken: step.index,
        value: 'b-value',
      },
    ]);
    expect(step.index).toBeGreaterThan(queued.index);
    expect(d.state.holder('lock', 'x')).toEqual({
      leaseId: b,
      owner: 'n2',
      fencingToken: step.index,
      waiterId: queued.index,
      value: 'b-value',
    });
  });

  it('grants waiters in FIFO order, with strictly increasing tokens', () => {
    const d = new Driver();
    const leases = [1, 2, 3, 4, 5].map((i) => d.grantLease(10_000, `n${i}`));
    const first = d.acquire('x', leases[0]!);
    for (const lease of leases.slice(1)) d.acquire('x', lease);
    const granted: number[] = [];
    const tokens: number[] = [first.index];
    for (let i = 0; i < leases.length; i++) {
      const holder = d.state.holder('lock', 'x')!;
      const step = d.release('x', holder.leaseId, holder.fencingToken);
      for (const e of step.effects) {
        if (e.type === 'granted') {
          granted.push(e.leaseId);
          tokens.push(e.fencingToken);
        }
      }
    }
    expect(granted).toEqual(leases.slice(1));
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    expect(d.state.holder('lock', 'x')).toBeUndefined();
  });

  it('a release carrying an older token after a re-grant is refused and never frees the newer grant', () => {
    const { d, a, b, c } = threeLeases();
    const first = d.acquire('x', a);
    d.acquire('x', b);
    d.acquire('x', a); // a asks again, behind b
    d.acquire('x', c);
    const toB = d.release('x', a, first.index);
    const toA = d.release('x', b, toB.index); // a holds again, with a newer token
    // A late copy of a's first release (say, resent in a new session after its own was forgotten).
    const late = d.release('x', a, first.index);
    expect(late.result).toMatchObject({ type: 'error', code: 'not-held' });
    expect(late.effects).toEqual([]);
    expect(d.state.holder('lock', 'x')).toMatchObject({ leaseId: a, fencingToken: toA.index });
    expect(d.queue('x')).toEqual([c]);
    // Nor does b's, whose grant is over too.
    expect(d.release('x', b, toB.index).result).toMatchObject({ code: 'not-held' });
    expect(d.token('x')).toBe(toA.index);
  });

  it('the same lease re-granted: an old token never releases its own newer grant', () => {
    const { d, a } = threeLeases();
    const first = d.acquire('x', a);
    d.release('x', a, first.index);
    const second = d.acquire('x', a);
    expect(d.release('x', a, first.index).result).toMatchObject({ type: 'error', code: 'not-held' });
    expect(d.token('x')).toBe(second.index);
  });

  it('only the holding lease releases: the right token with another lease is refused', () => {
    const { d, a, b } = threeLeases();
    const held = d.acquire('x', a);
    expect(d.release('x', b, held.index).result).toMatchObject({ type: 'error', code: 'not-held' });
    expect(d.release('nothing', a, held.index).result).toMatchObject({ type: 'error', code: 'not-held' });
    expect(d.release('x', a, held.index, 'election').result).toMatchObject({ code: 'not-held' });
    expect(d.token('x')).toBe(held.index);
  });
});

describe('cancel', () => {
  it('withdraws a waiting request: it is never granted', () => {
    const { d, a, b, c } = threeLeases();
    const held = d.acquire('x', a);
    const waiting = d.acquire('x', b);
    d.acquire('x', c);
    const step = d.cancel('x', b, waiting.index);
    expect(step.result).toEqual({ type: 'cancelled' });
    expect(step.effects).toEqual([
      {
        type: 'waitEnded',
        index: step.index,
        space: 'lock',
        name: 'x',
        leaseId: b,
        waiterId: waiting.index,
        reason: 'cancelled',
      },
    ]);
    d.release('x', a, held.index);
    expect(d.state.holder('lock', 'x')?.leaseId).toBe(c);
  });

  it('racing a grant: the answer says the request was granted, with the token to release', () => {
    const { d, a, b } = threeLeases();
    const held = d.acquire('x', a);
    const waiting = d.acquire('x', b);
    const handOff = d.release('x', a, held.index); // granted to b before b's cancel is applied
    const step = d.cancel('x', b, waiting.index);
    expect(step.result).toEqual({ type: 'alreadyGranted', fencingToken: handOff.index });
    expect(step.effects).toEqual([]);
    expect(d.token('x')).toBe(handOff.index);
    expect(d.release('x', b, handOff.index).result).toEqual({ type: 'released' });
    expect(d.state.holder('lock', 'x')).toBeUndefined();
  });

  it('cancelling an immediate grant by its acquire index answers alreadyGranted too', () => {
    const { d, a } = threeLeases();
    const held = d.acquire('x', a);
    expect(d.cancel('x', a, held.index).result).toEqual({ type: 'alreadyGranted', fencingToken: held.index });
  });

  it('answers notWaiting, changing nothing, for a request that is gone or not this lease’s', () => {
    const { d, a, b, c } = threeLeases();
    const held = d.acquire('x', a);
    const waiting = d.acquire('x', b);
    expect(d.cancel('x', c, waiting.index).result).toEqual({ type: 'notWaiting' });
    expect(d.cancel('x', b, waiting.index + 100).result).toEqual({ type: 'notWaiting' });
    expect(d.cancel('y', b, waiting.index).result).toEqual({ type: 'notWaiting' });
    expect(d.queue('x')).toEqual([b]);
    // Granted, then released: nothing left to cancel.
    const handOff = d.release('x', a, held.index);
    d.release('x', b, handOff.index);
    expect(d.cancel('x', b, waiting.index).result).toEqual({ type: 'notWaiting' });
  });
});

describe('a lock exists only while held', () => {
  it('the last release removes it from reads and the summary', () => {
    const { d, a } = threeLeases();
    const held = d.acquire('x', a);
    expect(d.state.summary()).toMatchObject({ leases: 3, locks: 1, elections: 0, waiters: 0 });
    d.release('x', a, held.index);
    expect(d.state.holder('lock', 'x')).toBeUndefined();
    expect(d.state.waiters('lock', 'x')).toEqual([]);
    expect(d.state.summary()).toMatchObject({ locks: 0, listed: [], truncated: false });
  });

  it('no-op and configuration entries change nothing and answer null', () => {
    const { d } = threeLeases();
    const before = d.state.snapshot();
    expect(d.noop()).toMatchObject({ result: null, effects: [] });
    expect(d.state.apply({ type: 'config', index: 99 })).toBeNull();
    expect(d.state.snapshot()).toEqual(before);
  });
});
