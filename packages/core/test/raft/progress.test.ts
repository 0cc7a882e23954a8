import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/raft/progress.js';

describe('Progress (the leader’s nextIndex/matchIndex for one follower)', () => {
  it('§5.3 a new leader starts every follower at nextIndex = its last index + 1 and matchIndex = 0', () => {
    const pr = new Progress(8);
    expect([pr.next, pr.match, pr.state]).toEqual([8, 0, 'probe']);
    expect(pr.isPaused(4)).toBe(false);
  });

  it('§5.3 probe state sends one append and waits for its answer', () => {
    const pr = new Progress(8);
    pr.sentEntries(7, 0);
    expect(pr.isPaused(4)).toBe(true);
    // An acknowledgement that tells nothing new does not unpause it.
    expect(pr.maybeUpdate(0)).toBe(false);
    expect(pr.isPaused(4)).toBe(true);
    expect(pr.maybeUpdate(7)).toBe(true);
    expect([pr.match, pr.next, pr.isPaused(4)]).toEqual([7, 8, false]);
  });

  it('§5.3 a rejection in probe state moves nextIndex back, to the follower’s hint at most', () => {
    const pr = new Progress(11);
    pr.sentEntries(10, 0);
    // An answer to an older probe (prevLogIndex 6) is stale.
    expect(pr.maybeDecrTo(6, 3)).toBe(false);
    expect(pr.next).toBe(11);
    expect(pr.maybeDecrTo(10, 4)).toBe(true);
    expect([pr.next, pr.isPaused(4)]).toEqual([5, false]);
    // The hint never takes nextIndex below matchIndex + 1.
    pr.match = 3;
    pr.sentEntries(4, 0);
    expect(pr.maybeDecrTo(4, 0)).toBe(true);
    expect(pr.next).toBe(4);
  });

  it('§5.3 replicate state pipelines up to inflightMessagesMax appends and frees them as acks arrive', () => {
    const pr = new Progress(1);
    pr.maybeUpdate(0);
    pr.becomeReplicate();
    pr.sentEntries(2, 2);
    pr.sentEntries(4, 2);
    pr.sentEntries(5, 1);
    expect([pr.next, pr.inflightCount(), pr.isPaused(3)]).toEqual([6, 3, true]);
    // An empty append (a commit update) takes no slot.
    pr.sentEntries(5, 0);
    expect(pr.inflightCount()).toBe(3);
    pr.maybeUpdate(4);
    pr.freeTo(4);
    expect([pr.match, pr.inflightCount(), pr.isPaused(3)]).toEqual([4, 1, false]);
    pr.freeFirstOne();
    expect(pr.inflightCount()).toBe(0);
  });

  it('§5.3 a rejection in replicate state falls back to matchIndex + 1 unless it is stale', () => {
    const pr = new Progress(1);
    pr.maybeUpdate(5);
    pr.becomeReplicate();
    pr.sentEntries(9, 4);
    expect(pr.maybeDecrTo(5, 0)).toBe(false);
    expect(pr.next).toBe(10);
    expect(pr.maybeDecrTo(8, 0)).toBe(true);
    expect(pr.next).toBe(6);
  });

  it('§5.3 matchIndex never moves backwards, nor does nextIndex on a stale ack', () => {
    const pr = new Progress(1);
    pr.maybeUpdate(6);
    expect(pr.maybeUpdate(3)).toBe(false);
    expect([pr.match, pr.next]).toEqual([6, 7]);
  });

  it('§7 snapshot state sends nothing else; afterwards probing starts past the snapshot', () => {
    const pr = new Progress(1);
    pr.becomeSnapshot(20, 5);
    expect([pr.state, pr.pendingSnapshot, pr.snapshotSentAtTick, pr.isPaused(100)]).toEqual([
      'snapshot',
      20,
      5,
      true,
    ]);
    pr.becomeProbe();
    expect([pr.state, pr.next, pr.pendingSnapshot]).toEqual(['probe', 21, 0]);
  });

  it('§5.3 an append extended before it left still takes one in-flight slot, freed by its last index', () => {
    const pr = new Progress(1);
    pr.becomeReplicate();
    pr.sentEntries(2, 2);
    expect(pr.extendLastInflight(3, 5)).toBe(false); // not the newest in flight: nothing changes
    expect([pr.next, pr.lastInflight()]).toEqual([3, 2]);
    expect(pr.extendLastInflight(2, 5)).toBe(true);
    expect([pr.next, pr.lastInflight(), pr.inflightCount()]).toEqual([6, 5, 1]);
    pr.freeTo(4);
    expect(pr.inflightCount()).toBe(1);
    pr.freeTo(5);
    expect([pr.inflightCount(), pr.lastInflight()]).toEqual([0, undefined]);
  });

  it('§5.3 a probe append holds no in-flight slot, so it is never extended', () => {
    const pr = new Progress(1);
    pr.sentEntries(2, 2);
    expect(pr.extendLastInflight(2, 5)).toBe(false);
    expect(pr.state).toBe('probe');
  });
});
