import { describe, expect, it } from 'vitest';
import { as, command, commandsOf, msg, TestCluster } from './harness.js';

const plain = { preVote: false, checkQuorum: false };

describe('§5.5 follower and candidate crashes', () => {
  it('§5.5 the leader keeps retrying a crashed follower, which catches up once it restarts', () => {
    const c = new TestCluster(plain);
    c.elect('n1');
    c.crash('n3');
    for (const text of ['a', 'b']) c.node('n1').propose(command(text));
    c.stabilize();
    expect(c.node('n1').status().commitIndex).toBe(3);
    for (let i = 0; i < 3; i++) {
      c.tick('n1');
      c.stabilize();
    }
    c.start('n3');
    expect(c.node('n3').status().lastIndex).toBe(1);
    c.tick('n1');
    c.stabilize();
    expect(c.node('n3').status()).toMatchObject({ lastIndex: 3, commitIndex: 3 });
    expect(commandsOf(c.store('n3').applied)).toEqual(['a', 'b']);
  });

  it('§5.5 AppendEntries is idempotent: a duplicate changes nothing and is acknowledged the same way', () => {
    const c = new TestCluster(plain);
    c.elect('n1');
    c.node('n1').propose(command('x'));
    c.flush();
    const [append] = c.takeMessages(msg('append', 'n1', 'n2'));
    c.takeMessages();
    c.deliver(append!);
    const first = c.flushAndTake(msg('appendResp', 'n2'));
    const log = c.node('n2').entries();
    c.deliver(append!);
    const { rd, after } = c.readyAndPersist('n2');
    expect(rd.entries).toEqual([]);
    expect(TestCluster.allMessages(rd, after)).toEqual(first);
    expect(as(first[0], 'appendResp')).toMatchObject({ reject: false, index: 2 });
    c.node('n2').advance(rd);
    expect(c.node('n2').entries()).toEqual(log);
  });

  it('§5.5 a member that crashes after voting restarts with its vote and does not vote again in that term', () => {
    const c = new TestCluster(plain);
    c.campaign('n1');
    c.flush();
    c.deliver(c.takeMessages(msg('vote', 'n1', 'n2'))[0]!);
    c.flush();
    c.takeMessages();
    c.crash('n2');
    c.start('n2');
    expect(c.node('n2').status()).toMatchObject({ term: 1, vote: 'n1' });
    c.deliver({
      type: 'vote',
      from: 'n3',
      to: 'n2',
      term: 1,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    const [answer] = c.flushAndTake(msg('voteResp', 'n2', 'n3'));
    expect(as(answer, 'voteResp').reject).toBe(true);
  });

  it('§5.5 a candidate that crashes restarts in its term, having voted for itself, and campaigns in a later term', () => {
    const c = new TestCluster(plain);
    c.campaign('n1');
    c.flush();
    c.takeMessages();
    c.crash('n1');
    c.start('n1');
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', term: 1, vote: 'n1' });
    c.campaign('n1');
    expect(c.node('n1').status()).toMatchObject({ role: 'candidate', term: 2 });
    c.stabilize();
    expect(c.leader()).toBe('n1');
  });
});
