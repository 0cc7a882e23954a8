import { describe, expect, it } from 'vitest';
import { ClientSessions } from '../../src/state/client-sessions.js';

const limits = { sessionsMax: 3, resultsPerSessionMax: 4 };

/** A table with session 1 open (registered at index 1). */
function opened(): ClientSessions {
  const t = new ClientSessions(limits);
  t.register(1);
  return t;
}

describe('ClientSessions (Raft dissertation §6.3)', () => {
  it('executes a seq once; a retry gets the first result', () => {
    const t = opened();
    expect(t.check(1, 1, 1, 2)).toEqual({ kind: 'execute' });
    t.record(1, 1, { granted: true });
    expect(t.check(1, 1, 1, 3)).toEqual({ kind: 'duplicate', result: { granted: true } });
  });

  it('seqs may be applied out of order (commands in flight at once): each executes once', () => {
    const t = opened();
    expect(t.check(1, 2, 1, 2)).toEqual({ kind: 'execute' });
    t.record(1, 2, 'two');
    expect(t.check(1, 1, 1, 3)).toEqual({ kind: 'execute' });
    t.record(1, 1, 'one');
    expect(t.check(1, 2, 1, 4)).toEqual({ kind: 'duplicate', result: 'two' });
  });

  it('forgets results below the floor, and answers an old copy below it as stale, unexecuted', () => {
    const t = opened();
    t.check(1, 1, 1, 2);
    t.record(1, 1, 'one');
    t.check(1, 2, 2, 3); // the client has its answer for seq 1
    t.record(1, 2, 'two');
    expect(t.check(1, 1, 1, 4)).toEqual({ kind: 'stale' });
    expect(t.toSnapshot().sessions[0]?.results).toEqual([[2, 'two']]);
  });

  it('keeps the result at the floor: a retry of the lowest command still waiting gets its first result', () => {
    const t = opened();
    t.check(1, 1, 1, 2);
    t.record(1, 1, 'one');
    t.check(1, 2, 1, 3);
    t.record(1, 2, 'two');
    // The client has its answer for seq 1 only: seq 2's answer was lost, so the floor is 2.
    t.check(1, 3, 2, 4);
    t.record(1, 3, 'three');
    expect(t.check(1, 2, 2, 5)).toEqual({ kind: 'duplicate', result: 'two' });
  });

  it('a floor never moves back', () => {
    const t = opened();
    t.check(1, 5, 5, 2);
    t.record(1, 5, 'five');
    expect(t.check(1, 3, 1, 3)).toEqual({ kind: 'stale' });
  });

  it('an unknown session is expired: its commands are never executed', () => {
    const t = opened();
    expect(t.check(99, 1, 1, 2)).toEqual({ kind: 'expired' });
  });

  it('beyond sessionsMax the session idle longest (by log index) is forgotten', () => {
    const t = new ClientSessions(limits);
    for (const index of [1, 2, 3]) t.register(index);
    t.check(1, 1, 1, 4); // session 1 used: session 2 is now idle longest
    t.register(5);
    expect(t.size).toBe(3);
    expect(t.check(2, 1, 1, 6)).toEqual({ kind: 'expired' });
    expect(t.check(1, 2, 1, 7)).toEqual({ kind: 'execute' });
  });

  it('a session holding more than resultsPerSessionMax unacknowledged results is forgotten', () => {
    const t = opened();
    for (let seq = 1; seq <= 5; seq++) {
      expect(t.check(1, seq, 1, seq + 1)).toEqual({ kind: 'execute' });
      t.record(1, seq, seq);
    }
    expect(t.check(1, 6, 1, 7)).toEqual({ kind: 'expired' });
  });

  it('a restored table answers exactly as the one it was taken from', () => {
    const t = opened();
    t.register(2);
    t.check(1, 1, 1, 3);
    t.record(1, 1, { fencingToken: 3 });
    const copy = new ClientSessions(limits);
    copy.restore(JSON.parse(JSON.stringify(t.toSnapshot())));
    expect(copy.check(1, 1, 1, 4)).toEqual({ kind: 'duplicate', result: { fencingToken: 3 } });
    // The order of last use survives too: session 2 is now the one idle longest.
    copy.register(5);
    copy.register(6);
    expect(copy.check(2, 1, 1, 7)).toEqual({ kind: 'expired' });
  });
});

describe('ClientSessions.abandon: a command its client gave up on in doubt', () => {
  it('not applied yet: never executes afterwards, whatever copy arrives', () => {
    const t = opened();
    expect(t.abandon(1, 3, 2)).toEqual({ kind: 'abandoned' });
    expect(t.check(1, 3, 1, 3)).toEqual({ kind: 'abandoned' });
    expect(t.abandon(1, 3, 4)).toEqual({ kind: 'abandoned' });
  });

  it('applied already: answers its result, for the client to undo', () => {
    const t = opened();
    t.check(1, 3, 1, 2);
    t.record(1, 3, { type: 'queued', waiterId: 2 });
    expect(t.abandon(1, 3, 3)).toEqual({ kind: 'executed', result: { type: 'queued', waiterId: 2 } });
  });

  it('an unknown session is expired; a seq below the floor is stale', () => {
    const t = opened();
    expect(t.abandon(9, 1, 2)).toEqual({ kind: 'expired' });
    t.check(1, 5, 5, 3);
    expect(t.abandon(1, 4, 4)).toEqual({ kind: 'stale' });
  });

  it('an abandoned seq survives a snapshot', () => {
    const t = opened();
    t.abandon(1, 3, 2);
    const copy = new ClientSessions(limits);
    copy.restore(JSON.parse(JSON.stringify(t.toSnapshot())));
    expect(copy.check(1, 3, 1, 3)).toEqual({ kind: 'abandoned' });
  });
});
