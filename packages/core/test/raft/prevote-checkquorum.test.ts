import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import { as, msg, TestCluster } from './harness.js';

const ask = (
  type: 'vote' | 'preVote',
  from: string,
  to: string,
  term: number,
  transfer = false,
): Message => ({
  type,
  from,
  to,
  term,
  lastLogIndex: 99,
  lastLogTerm: 99,
  transfer,
});

describe('pre-vote, leader stickiness and CheckQuorum (dissertation §9.6, §6.2)', () => {
  it('§9.6 a pre-vote campaign changes neither the candidate’s nor the voters’ term or vote', () => {
    const c = new TestCluster();
    // n2 and n3 (timeouts 12 and 14) sit out their start-up quiet period without campaigning.
    c.tick('n2', 10);
    c.tick('n3', 10);
    c.campaign('n1');
    const { rd, after } = c.readyAndPersist('n1');
    expect(rd.softState).toEqual({ role: 'preCandidate', term: 0, leaderId: undefined });
    expect(rd.hardState).toBeUndefined();
    expect(TestCluster.allMessages(rd, after).map((m) => [m.type, m.to, m.term])).toEqual([
      ['preVote', 'n2', 1],
      ['preVote', 'n3', 1],
    ]);
    c.queue.push(...after.messages);
    c.node('n1').advance(rd);
    c.deliverAll();
    const answers = c.flushAndTake();
    expect(answers.map((m) => [m.type, m.from, as(m, 'preVoteResp').reject])).toEqual([
      ['preVoteResp', 'n2', false],
      ['preVoteResp', 'n3', false],
    ]);
    for (const id of ['n2', 'n3']) expect(c.node(id).status()).toMatchObject({ term: 0, vote: undefined });
    for (const m of answers) c.deliver(m);
    expect(c.node('n1').status()).toMatchObject({ role: 'candidate', term: 1, vote: 'n1' });
  });

  it('§9.6 a partitioned member keeps its term, and rejoining does not disrupt the leader', () => {
    const c = new TestCluster();
    c.elect('n1');
    const term = c.node('n1').status().term;
    c.isolate('n3');
    for (let i = 0; i < 100; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.node('n3').status()).toMatchObject({ term, role: 'preCandidate' });
    c.heal();
    for (let i = 0; i < 30; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', term });
    expect(c.node('n3').status()).toMatchObject({ role: 'follower', term, leaderId: 'n1' });
  });

  it('§9.6 leader stickiness: a follower that heard from the leader within electionTicks ignores (pre-)votes', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.tickAll();
    c.stabilize();
    c.deliver(ask('preVote', 'n3', 'n2', 5));
    c.deliver(ask('vote', 'n3', 'n2', 5));
    expect(c.flushAndTake(msg('preVoteResp')).concat(c.takeMessages(msg('voteResp')))).toEqual([]);
    expect(c.node('n2').status()).toMatchObject({ term: 1, leaderId: 'n1' });
    // Once electionTicks pass without the leader, n2 answers again.
    c.isolate('n1');
    c.tick('n2', c.electionTicks);
    c.deliver(ask('vote', 'n3', 'n2', 5));
    const [answer] = c.flushAndTake(msg('voteResp', 'n2'));
    expect(as(answer, 'voteResp')).toMatchObject({ reject: false, term: 5 });
  });

  it('§3.10 leader stickiness does not apply to a campaign started by a leadership transfer', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.tickAll();
    c.stabilize();
    c.deliver(ask('vote', 'n3', 'n2', 2, true));
    const [answer] = c.flushAndTake(msg('voteResp', 'n2'));
    expect(as(answer, 'voteResp')).toMatchObject({ reject: false, term: 2 });
    expect(c.node('n2').status()).toMatchObject({ term: 2, vote: 'n3' });
  });

  it('§6.2 CheckQuorum: a leader cut off from a quorum steps down within an election timeout', () => {
    const stepDownTicks: number[] = [];
    const { electionTicks } = new TestCluster();
    for (let phase = 0; phase < electionTicks; phase++) {
      const c = new TestCluster();
      c.elect('n1');
      for (let i = 0; i < phase; i++) {
        c.tickAll();
        c.stabilize();
      }
      // The last heartbeat round n1 got acknowledged was just now.
      c.isolate('n1');
      let ticks = 0;
      while (c.node('n1').status().role === 'leader' && ticks < 100) {
        c.tick('n1');
        ticks++;
      }
      stepDownTicks.push(ticks);
    }
    // Ticks from the last answer to stepping down, whatever the phase: not later than an election
    // timeout, and not earlier either (until then the quorum's answers are recent enough).
    expect(stepDownTicks).toEqual(stepDownTicks.map(() => electionTicks));
  });

  it('§6.2 CheckQuorum: a leader that keeps hearing from a quorum stays leader', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    c.elect('n1');
    c.partition(['n1', 'n2', 'n3'], ['n4', 'n5']);
    for (let i = 0; i < 60; i++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', term: 1 });
  });

  it('§9.6 a restarted member refuses votes for one election timeout, as if it had just heard from a leader', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.crash('n2');
    c.start('n2');
    c.deliver(ask('preVote', 'n3', 'n2', 5));
    c.deliver(ask('vote', 'n3', 'n2', 5));
    expect(c.flushAndTake(msg('preVoteResp', 'n2')).concat(c.takeMessages(msg('voteResp', 'n2')))).toEqual(
      [],
    );
    expect(c.node('n2').status().term).toBe(1);
    c.tick('n2', c.electionTicks - 1);
    c.deliver(ask('vote', 'n3', 'n2', 5));
    expect(c.flushAndTake(msg('voteResp', 'n2'))).toEqual([]);
    c.tick('n2');
    c.deliver(ask('vote', 'n3', 'n2', 5));
    expect(as(c.flushAndTake(msg('voteResp', 'n2'))[0], 'voteResp').reject).toBe(false);
  });

  it('§9.6 stickiness needs a live leader: once the start-up quiet is over, votes of successive terms are granted', () => {
    const c = new TestCluster();
    c.tick('n2', c.electionTicks);
    const answers: boolean[] = [];
    for (const term of [1, 2, 3]) {
      c.deliver(ask('vote', term === 2 ? 'n1' : 'n3', 'n2', term));
      answers.push(...c.flushAndTake(msg('voteResp', 'n2')).map((m) => !as(m, 'voteResp').reject));
    }
    expect(answers).toEqual([true, true, true]);
    expect(c.node('n2').status()).toMatchObject({ term: 3, vote: 'n3' });
  });
});
