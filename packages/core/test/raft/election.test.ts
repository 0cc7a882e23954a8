import { describe, expect, it } from 'vitest';
import { RawNode } from '../../src/raft/raw-node.js';
import type { Message } from '../../src/raft/types.js';
import { as, msg, TestCluster } from './harness.js';

/** The paper's algorithm without the dissertation's extensions (pre-vote, CheckQuorum). */
const plain = { preVote: false, checkQuorum: false };

const vote = (from: string, to: string, term: number, lastLogIndex = 0, lastLogTerm = 0): Message => ({
  type: 'vote',
  from,
  to,
  term,
  lastLogIndex,
  lastLogTerm,
  transfer: false,
});

describe('§5.2 leader election', () => {
  it('§5.2 a follower that hears nothing for its election timeout campaigns: term + 1, votes for itself, asks every voter', () => {
    const c = new TestCluster(plain);
    c.tick('n1', 9);
    expect(c.node('n1').hasReady()).toBe(false);
    c.tick('n1');
    const { rd, after } = c.readyAndPersist('n1');
    expect(rd.softState).toEqual({ role: 'candidate', term: 1, leaderId: undefined });
    expect(rd.hardState).toEqual({ term: 1, vote: 'n1', commit: 0 });
    expect(rd.mustSync).toBe(true);
    // The requests leave only once the new term and the vote for itself are durable.
    expect(rd.messages).toEqual([]);
    expect(after.messages).toEqual([vote('n1', 'n2', 1), vote('n1', 'n3', 1)]);
  });

  it('§5.2 election timeouts are randomized within [electionTicks, electionTicksMax)', () => {
    const ticksToCampaign = (random: number) => {
      const node = new RawNode({
        id: 'a',
        initialVoters: ['a', 'b', 'c'],
        heartbeatTicks: 1,
        electionTicks: 10,
        electionTicksMax: 20,
        random: () => random,
        preVote: false,
      });
      for (let t = 1; t <= 30; t++) {
        node.tick();
        if (node.status().role === 'candidate') return t;
      }
      return undefined;
    };
    expect([0, 0.25, 0.5, 0.999].map(ticksToCampaign)).toEqual([10, 12, 15, 19]);
  });

  it('§5.2 a candidate that receives votes from a majority becomes leader and sends AppendEntries at once', () => {
    const c = new TestCluster(plain);
    c.campaign('n1');
    c.flush();
    const [toN2] = c.takeMessages(msg('vote', 'n1', 'n2'));
    c.takeMessages();
    c.deliver(toN2!);
    c.flush();
    const [grant] = c.takeMessages(msg('voteResp', 'n2', 'n1'));
    expect(as(grant, 'voteResp').reject).toBe(false);
    c.deliver(grant!);
    expect(c.node('n1').status().role).toBe('leader');
    c.flush();
    const sent = c.takeMessages(msg('append', 'n1')).map((m) => m.to);
    expect(sent).toEqual(['n2', 'n3']);
  });

  it('§5.2 a member grants at most one vote per term, first come first served', () => {
    const c = new TestCluster({ ...plain, ids: ['n1', 'n2', 'n3'] });
    c.deliver(vote('n1', 'n2', 1));
    c.deliver(vote('n3', 'n2', 1));
    // A retransmitted request from the member it voted for is granted again.
    c.deliver(vote('n1', 'n2', 1));
    const answers = c.flushAndTake(msg('voteResp', 'n2')).map((m) => [m.to, as(m, 'voteResp').reject]);
    expect(answers).toEqual([
      ['n1', false],
      ['n3', true],
      ['n1', false],
    ]);
    expect(c.store('n2').hardState).toEqual({ term: 1, vote: 'n1', commit: 0 });
    // A new term frees the vote.
    c.deliver(vote('n3', 'n2', 2));
    expect(as(c.flushAndTake(msg('voteResp', 'n2'))[0], 'voteResp').reject).toBe(false);
    expect(c.store('n2').hardState?.vote).toBe('n3');
  });

  it('§5.2 a candidate steps down when it hears AppendEntries from a leader of its term, not of an older one', () => {
    const c = new TestCluster(plain);
    c.campaign('n1');
    c.flushAndTake();
    const append = (term: number): Message => ({
      type: 'append',
      from: 'n2',
      to: 'n1',
      term,
      prevLogIndex: 0,
      prevLogTerm: 0,
      entries: [],
      commit: 0,
    });
    c.deliver(append(0));
    expect(c.node('n1').status()).toMatchObject({ role: 'candidate', term: 1 });
    const [stale] = c.flushAndTake(msg('appendResp', 'n1', 'n2'));
    expect(stale?.term).toBe(1);
    c.deliver(append(1));
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', term: 1, leaderId: 'n2', vote: 'n1' });
  });

  it('§5.2 a candidate whose votes are refused by a majority returns to follower', () => {
    const c = new TestCluster(plain);
    c.campaign('n1');
    c.flushAndTake();
    for (const from of ['n2', 'n3']) c.deliver({ type: 'voteResp', from, to: 'n1', term: 1, reject: true });
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', term: 1, leaderId: undefined });
  });

  it('§5.2 after a split vote nobody leads, and the next timeout starts a new election in a higher term', () => {
    const c = new TestCluster({
      ...plain,
      ids: ['n1', 'n2', 'n3', 'n4'],
      electionTimeouts: { n1: 10, n2: 10 },
    });
    c.campaign('n1');
    c.campaign('n2');
    c.flush();
    // n3 votes for n1, n4 for n2: each candidate has 2 of 4 votes.
    c.filter = (m) =>
      !(m.type === 'vote' && ((m.from === 'n1' && m.to === 'n4') || (m.from === 'n2' && m.to === 'n3')));
    c.stabilize();
    c.heal();
    expect(c.leader()).toBeUndefined();
    expect(['n1', 'n2'].map((id) => c.node(id).status().role)).toEqual(['candidate', 'candidate']);
    c.tick('n1', 10);
    expect(c.node('n1').status()).toMatchObject({ role: 'candidate', term: 2 });
    c.stabilize();
    expect(c.leader()).toBe('n1');
  });

  it('§5.1 a member that sees a higher term adopts it and reverts to follower, even as leader', () => {
    const c = new TestCluster(plain);
    c.elect('n1');
    c.deliver({ type: 'heartbeatResp', from: 'n3', to: 'n1', term: 7, round: 0 });
    expect(c.node('n1').status()).toMatchObject({
      role: 'follower',
      term: 7,
      vote: undefined,
      leaderId: undefined,
    });
    c.flush();
    expect(c.store('n1').hardState?.term).toBe(7);
  });

  it('§5.2 granting a vote resets the election timer', () => {
    const c = new TestCluster(plain);
    c.tick('n2', 9);
    c.deliver(vote('n1', 'n2', 1));
    c.tick('n2', 9);
    expect(c.node('n2').status().role).toBe('follower');
    c.tick('n2', 3);
    expect(c.node('n2').status().role).toBe('candidate');
  });
});
