import { describe, expect, it } from 'vitest';
import { LeaderLease } from '../../src/raft/leader-lease.js';
import type { Message } from '../../src/raft/types.js';
import { as, command, msg, TestCluster } from './harness.js';

/** Acknowledgements of the heartbeat round `round` that followers queued for the leader. */
const acksOf = (round: number) => (m: Message) => m.type === 'heartbeatResp' && m.round === round;

describe('leader lease rounds (DESIGN.md §2.1, dissertation §6.4)', () => {
  it('§6.4 leaseRound advances only when a quorum of voters acknowledges a round of the current term', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    c.elect('n1');
    const settled = c.node('n1').status().leaseRound;
    expect(settled).toBeGreaterThan(0);
    c.tick('n1');
    const beats = c.flushAndTake(msg('heartbeat', 'n1')).map((m) => as(m, 'heartbeat'));
    const round = beats[0]!.round;
    expect(beats.map((b) => b.round)).toEqual([round, round, round, round]);
    for (const b of beats) c.deliver(b);
    const acks = c.flushAndTake(acksOf(round));
    expect(acks.map((m) => m.from)).toEqual(['n2', 'n3', 'n4', 'n5']);
    c.deliver(acks[0]!);
    // The leader and n2: 2 of 5.
    expect(c.node('n1').status().leaseRound).toBe(settled);
    c.deliver(acks[0]!);
    expect(c.node('n1').status().leaseRound).toBe(settled);
    c.deliver(acks[1]!);
    expect(c.node('n1').status().leaseRound).toBe(round);
    // An acknowledgement from an earlier term never counts, whatever round it names.
    c.deliver({ type: 'heartbeatResp', from: 'n4', to: 'n1', term: 0, round: round + 5 });
    c.deliver({ type: 'heartbeatResp', from: 'n5', to: 'n1', term: 0, round: round + 5 });
    expect(c.node('n1').status().leaseRound).toBe(round);
  });

  it('§6.4 a later term starts counting rounds afresh: acknowledgements of the old term are stale', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.tick('n1');
    c.flush();
    c.deliverAll();
    const oldAcks = c.flushAndTake(msg('heartbeatResp'));
    // n1 loses leadership and wins it back in a later term.
    c.deliver({
      type: 'appendResp',
      from: 'n2',
      to: 'n1',
      term: 5,
      reject: false,
      index: 0,
      hintIndex: 0,
      hintTerm: 0,
    });
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', term: 5, leaseRound: 0 });
    c.tick('n2', 10);
    c.tick('n3', 10);
    c.campaign('n1');
    for (const [ask, answer] of [
      ['preVote', 'preVoteResp'],
      ['vote', 'voteResp'],
    ] as const) {
      c.flush();
      for (const m of c.takeMessages(msg(ask, 'n1'))) c.deliver(m);
      c.flush();
      for (const m of c.takeMessages(msg(answer, undefined, 'n1'))) c.deliver(m);
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', term: 6, leaseRound: 0 });
    for (const m of oldAcks) c.deliver(m);
    expect(c.node('n1').status().leaseRound).toBe(0);
  });

  it('§6.4 a learner’s acknowledgement of a round does not count towards the lease', () => {
    const c = new TestCluster();
    c.elect('n1');
    for (const id of ['n4', 'n5']) {
      c.start(id, ['n1', 'n2', 'n3']);
      expect(c.node('n1').proposeConfigChange({ op: 'addLearner', id })).toMatchObject({ ok: true });
      c.stabilize();
    }
    expect(c.node('n1').status().config.learners).toEqual(['n4', 'n5']);
    const before = c.node('n1').status().leaseRound;
    // n1 and both learners would be three of five members, but they are one of three voters.
    c.partition(['n1', 'n4', 'n5'], ['n2', 'n3']);
    for (let i = 0; i < 3; i++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', leaseRound: before });
  });

  it('§6.4 leaseRound is 0 for every member that is not leader', () => {
    const c = new TestCluster();
    c.elect('n1');
    expect(['n1', 'n2', 'n3'].map((id) => c.node(id).status().leaseRound > 0)).toEqual([true, false, false]);
  });

  it('§3.10 leaseRound is 0 while a transfer is under way and for the rest of the term after a TimeoutNow', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.isolate('n3');
    c.node('n1').propose(command('x'));
    c.stabilize();
    c.node('n1').transferLeadership('n3');
    expect(c.node('n1').status()).toMatchObject({ leadTransferee: 'n3', leaseRound: 0 });
    // Abandoned after an election timeout without a TimeoutNow: the lease comes back with the next round.
    for (let i = 0; i < 10; i++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', leadTransferee: undefined });
    expect(c.node('n1').status().leaseRound).toBeGreaterThan(0);
    // Now to n2, which is caught up: TimeoutNow goes out at once, and is lost.
    c.node('n1').transferLeadership('n2');
    expect(c.flushAndTake(msg('timeoutNow', 'n1', 'n2'))).toHaveLength(1);
    for (let i = 0; i < 5; i++) {
      c.tick('n1');
      c.stabilize();
      expect(c.node('n1').status()).toMatchObject({ role: 'leader', leaseRound: 0 });
    }
  });

  it('§3.10 after a TimeoutNow the lease stays over even when a committed removal of the target ends the transfer', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.tick('n1');
    c.stabilize();
    expect(c.node('n1').status().leaseRound).toBeGreaterThan(0);
    // n1 proposes to remove n3 and replicates the entry before its own write is durable.
    c.holding.add('n1');
    expect(c.node('n1').proposeConfigChange({ op: 'removeMember', id: 'n3' })).toMatchObject({ ok: true });
    const rd = c.node('n1').ready();
    const [toN3] = rd.messages.filter(msg('append', 'n1', 'n3'));
    c.deliver(toN3!);
    c.flush();
    for (const m of c.takeMessages(msg('appendResp', 'n3', 'n1'))) c.deliver(m);
    // n3 holds the whole log, still uncommitted: the transfer tells it to campaign at once.
    c.node('n1').transferLeadership('n3');
    c.persist('n1', rd);
    const after = c.node('n1').persisted(rd);
    c.node('n1').advance(rd);
    c.holding.delete('n1');
    // n1's own copy commits the removal; n3 is no longer a voter and the transfer is over for n1…
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', commitIndex: rd.entries.at(-1)!.index });
    expect(c.node('n1').status().config.voters).toEqual(['n1', 'n2']);
    expect(c.node('n1').status().leadTransferee).toBeUndefined();
    // …but the TimeoutNow is out, and n3, which has not seen the commit, may still campaign past stickiness.
    expect(c.node('n1').status().leaseRound).toBe(0);
    c.queue.push(...after.messages);
    const timeoutNow = c.flushAndTake(msg('timeoutNow', 'n1', 'n3'));
    expect(timeoutNow).toHaveLength(1);
    c.takeMessages();
    c.deliver(timeoutNow[0]!);
    // Whatever n1 says from here on is late: n3 campaigns and n2 hears from n3 first (its heartbeats, not
    // yet the entries that would commit n3's own removal).
    c.filter = (m) => m.from !== 'n1' && m.to !== 'n1' && m.type !== 'append';
    c.stabilize();
    expect(c.node('n3').status()).toMatchObject({ role: 'leader', term: 2 });
    const leaseHolders = ['n1', 'n2', 'n3'].filter((id) => {
      const s = c.node(id).status();
      return s.role === 'leader' && s.leaseRound > 0;
    });
    expect(leaseHolders).toEqual(['n3']);
  });

  it('§6.4 a follower that acknowledged a round grants no vote for electionTicks of its ticks (what the lease rests on)', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.tick('n1');
    c.stabilize();
    // n2 acknowledged a round just now; the leader vanishes and n3 asks for n2's vote on every tick.
    c.crash('n1');
    let grantedAt: number | undefined;
    for (let t = 1; t <= 2 * c.electionTicks && grantedAt === undefined; t++) {
      c.tick('n2');
      const term = c.node('n2').status().term + 1;
      c.deliver({
        type: 'vote',
        from: 'n3',
        to: 'n2',
        term,
        lastLogIndex: 9,
        lastLogTerm: 9,
        transfer: false,
      });
      const answers = c.flushAndTake(msg('voteResp', 'n2'));
      if (answers.some((m) => !as(m, 'voteResp').reject)) grantedAt = t;
    }
    expect(grantedAt).toBe(c.electionTicks);
  });

  it('§6.4 a follower that acknowledged a round stays sticky when a stale answer moves it to a higher term', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.tick('n1');
    c.stabilize();
    // A late rejection of a pre-vote n2 once sent carries a higher term: n2 adopts it and forgets its leader…
    c.deliver({ type: 'preVoteResp', from: 'n3', to: 'n2', term: 2, reject: true });
    expect(c.node('n2').status()).toMatchObject({ role: 'follower', term: 2, leaderId: undefined });
    // …but it heard from n1 a moment ago, so it must not help elect anyone yet, in this term or a later one.
    for (const term of [2, 3]) {
      c.deliver({
        type: 'vote',
        from: 'n3',
        to: 'n2',
        term,
        lastLogIndex: 9,
        lastLogTerm: 9,
        transfer: false,
      });
    }
    const granted = c.flushAndTake(msg('voteResp', 'n2')).filter((m) => !as(m, 'voteResp').reject);
    expect(granted).toEqual([]);
  });

  it('§6.4 at most one leader holds a lease: a stale pre-vote rejection cannot hand a lease quorum member to a rival', () => {
    // n1 = the leader L, n2 = A (always with L), n3 = F, n4 = B and n5 = C (cut off from L and A).
    const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
    const c = new TestCluster({ ids, electionTimeouts: { n1: 10, n2: 19, n3: 10, n4: 19, n5: 19 } });
    c.elect('n1');
    const cut = (a: string[], b: string[]) => (m: Message) =>
      !((a.includes(m.from) && b.includes(m.to)) || (b.includes(m.from) && a.includes(m.to)));
    c.filter = cut(['n1', 'n2'], ['n4', 'n5']);
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.stabilize();
    }
    // F loses L for one election timeout of its own clock, which runs a little fast: F pre-campaigns
    // while L (8 ticks later) still counts F towards CheckQuorum. F's pre-vote to B is delayed.
    c.filter = cut(['n1', 'n2'], ['n3', 'n4', 'n5']);
    c.tick('n1', 8);
    c.tick('n2', 8);
    c.tick('n4', 10);
    c.tick('n5', 10);
    c.tick('n3', 10);
    expect(c.node('n3').status().role).toBe('preCandidate');
    const delayedPreVote = c.flushAndTake(msg('preVote', 'n3', 'n4'));
    c.takeMessages();
    // C pre-campaigns (F and B grant) and asks for votes; B grants, C's vote request to F is delayed.
    c.campaign('n5');
    const delayedVote: Message[] = [];
    for (const [ask, answer] of [
      ['preVote', 'preVoteResp'],
      ['vote', 'voteResp'],
    ] as const) {
      c.flush();
      for (const m of c.takeMessages(msg(ask, 'n5'))) {
        if (m.type === 'vote' && m.to === 'n3') delayedVote.push(m);
        else c.deliver(m);
      }
      c.flush();
      for (const m of c.takeMessages(msg(answer, undefined, 'n5'))) c.deliver(m);
    }
    expect(c.node('n5').status()).toMatchObject({ role: 'candidate', term: 2 });
    // F hears L again; L's round is acknowledged by L, A and F: L holds a fresh lease.
    c.filter = cut(['n1', 'n2'], ['n4', 'n5']);
    c.tick('n1');
    c.stabilize();
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', term: 1 });
    expect(c.node('n1').status().leaseRound).toBeGreaterThan(0);
    // The delayed messages arrive: B rejects F's old pre-vote in term 2, then C's vote request reaches F.
    for (const m of delayedPreVote) c.deliver(m);
    c.flush();
    for (const m of c.takeMessages(msg('preVoteResp', 'n4', 'n3'))) c.deliver(m);
    for (const m of delayedVote) c.deliver(m);
    c.stabilize();
    const leaseHolders = ids.filter((id) => {
      const s = c.node(id).status();
      return s.role === 'leader' && s.leaseRound > 0;
    });
    expect(leaseHolders.length).toBeLessThanOrEqual(1);
  });

  it('§6.4 LeaderLease: validUntil is the time the newest quorum-acknowledged round was taken, plus leaseMs', () => {
    const c = new TestCluster();
    const lease = new LeaderLease({ leaseMs: 900 });
    let now = 0;
    const taken = new Map<number, number>();
    c.onReady = (id, rd) => {
      if (id !== 'n1') return;
      if (rd.heartbeatRound !== undefined) taken.set(rd.heartbeatRound, now);
      lease.onReady(rd, c.node('n1').status(), now);
    };
    const step = (ms: number) => {
      now += ms;
      c.tickAll();
      c.stabilize();
    };
    for (let i = 0; i < 20 && c.leader() === undefined; i++) step(100);
    expect(c.leader()).toBe('n1');
    step(100);
    const s = c.node('n1').status();
    expect(taken.get(s.leaseRound)).toBe(now);
    expect(lease.validUntil(s)).toBe(now + 900);
    // Cut off: new rounds go unanswered, so the deadline stays where the last acknowledged round put it.
    const deadline = now + 900;
    c.isolate('n1');
    step(100);
    step(100);
    expect(lease.validUntil(c.node('n1').status())).toBe(deadline);
    expect(lease.validUntil(c.node('n2').status())).toBe(-Infinity);
    c.heal();
    c.node('n1').transferLeadership('n2');
    step(0);
    expect(lease.validUntil(c.node('n1').status())).toBe(-Infinity);
  });

  it('§6.4 LeaderLease: a round sent in the same Ready as a later one renews the lease when a quorum acknowledges it', () => {
    const c = new TestCluster();
    const lease = new LeaderLease({ leaseMs: 900 });
    let now = 0;
    c.onReady = (id, rd) => {
      if (id === 'n1') lease.onReady(rd, c.node('n1').status(), now);
    };
    c.elect('n1');
    now = 1000;
    // A heartbeat tick and a read both broadcast a round before the driver takes the next Ready.
    c.tick('n1');
    c.node('n1').readIndex('r');
    const beats = c.flushAndTake(msg('heartbeat', 'n1', 'n2')).map((m) => as(m, 'heartbeat'));
    c.takeMessages();
    expect(beats.map((b) => b.round)).toEqual([beats[0]!.round, beats[0]!.round + 1]);
    // n2's acknowledgement of the first of the two rounds arrives first.
    now = 1010;
    c.deliver(beats[0]!);
    c.flush();
    c.deliver(c.takeMessages(msg('heartbeatResp', 'n2', 'n1'))[0]!);
    const s = c.node('n1').status();
    expect(s.leaseRound).toBe(beats[0]!.round);
    // That round left at 1000, like the other one: the lease runs to 1900, and certainly has not ended.
    expect(lease.validUntil(s)).toBe(1900);
  });
});
