import { describe, expect, it } from 'vitest';
import { ReadIndexQueue } from '../../src/raft/read-index.js';
import type { Message } from '../../src/raft/types.js';
import { as, command, msg, TestCluster } from './harness.js';

describe('ReadIndexQueue', () => {
  it('§6.4 reads are released in arrival order, once a quorum acknowledged the round each waits for', () => {
    const q = new ReadIndexQueue();
    q.add({ requestId: 'a', from: 'n1', index: 3, round: 4 });
    q.add({ requestId: 'b', from: 'n2', index: 3, round: 5 });
    q.add({ requestId: 'c', from: 'n1', index: 4, round: 5 });
    q.add({ requestId: 'd', from: 'n1', index: 6, round: 7 });
    expect(q.confirm(3)).toEqual([]);
    expect(q.confirm(5).map((r) => r.requestId)).toEqual(['a', 'b', 'c']);
    expect(q.size).toBe(1);
    expect(q.drain().map((r) => r.requestId)).toEqual(['d']);
    expect(q.size).toBe(0);
  });
});

describe('ReadIndex (dissertation §6.4)', () => {
  it('§6.4 a new leader serves no read until an entry of its own term is committed', () => {
    const c = new TestCluster();
    c.tick('n2', 10);
    c.tick('n3', 10);
    c.campaign('n1');
    // Run the election, but hold back every append: the no-op of term 1 stays uncommitted.
    const noAppends = (m: Message) => m.type !== 'append';
    c.filter = noAppends;
    c.stabilize();
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', commitIndex: 0 });
    c.node('n1').readIndex('r1');
    c.tick('n1');
    c.stabilize();
    expect(c.store('n1').readStates).toEqual([]);
    expect(c.node('n1').status().leaseRound).toBeGreaterThan(0);
    c.heal();
    c.tick('n1');
    c.stabilize();
    expect(c.node('n1').status().commitIndex).toBe(1);
    expect(c.store('n1').readStates).toEqual([{ requestId: 'r1', index: 1 }]);
  });

  it('§6.4 a read is confirmed only after a quorum acknowledges a heartbeat round sent after it arrived', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    c.elect('n1');
    c.node('n1').propose(command('x'));
    c.stabilize();
    // Acknowledgements of an older round are still on their way when the read arrives.
    c.tick('n1');
    c.flush();
    c.deliverAll();
    const oldAcks = c.flushAndTake(msg('heartbeatResp'));
    c.node('n1').readIndex('r1');
    const beats = c.flushAndTake(msg('heartbeat', 'n1')).map((m) => as(m, 'heartbeat'));
    expect(new Set(beats.map((b) => b.round)).size).toBe(1);
    for (const m of oldAcks) c.deliver(m);
    c.flush();
    expect(c.store('n1').readStates).toEqual([]);
    for (const b of beats) c.deliver(b);
    const acks = c.flushAndTake(msg('heartbeatResp'));
    c.deliver(acks[0]!);
    c.flush();
    expect(c.store('n1').readStates).toEqual([]);
    c.deliver(acks[1]!);
    c.flush();
    expect(c.store('n1').readStates).toEqual([{ requestId: 'r1', index: 2 }]);
  });

  it('§6.4 a follower forwards a read to the leader and gets the leader’s commit index back', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.isolate('n3');
    for (const text of ['a', 'b']) c.node('n1').propose(command(text));
    c.stabilize();
    c.heal();
    // n3 has not even received the entries yet: the read must wait for index 3 locally.
    c.node('n3').readIndex('f1');
    const [forwarded] = c.flushAndTake(msg('readIndex', 'n3', 'n1'));
    expect(as(forwarded, 'readIndex').requestId).toBe('f1');
    c.deliver(forwarded!);
    c.filter = (m) => m.type !== 'append';
    c.stabilize();
    c.heal();
    expect(c.store('n3').readStates).toEqual([{ requestId: 'f1', index: 3 }]);
    expect(c.node('n3').status().appliedIndex).toBeLessThan(3);
  });

  it('§6.4 reads pending when leadership is lost fail, on the leader and on the follower that forwarded them', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').readIndex('local');
    c.node('n2').readIndex('remote');
    c.flush();
    c.deliver(c.takeMessages(msg('readIndex', 'n2', 'n1'))[0]!);
    c.flush();
    c.takeMessages();
    // Before any acknowledgement, n1 learns of a higher term.
    c.deliver({
      type: 'appendResp',
      from: 'n3',
      to: 'n1',
      term: 4,
      reject: false,
      index: 0,
      hintIndex: 0,
      hintTerm: 0,
    });
    c.flush();
    expect(c.store('n1').readFailures).toEqual(['local']);
    const [failure] = c.takeMessages(msg('readIndexResp', 'n1', 'n2'));
    expect(as(failure, 'readIndexResp')).toMatchObject({ requestId: 'remote', reject: true });
    c.deliver(failure!);
    c.flush();
    expect(c.store('n2').readFailures).toEqual(['remote']);
    expect(c.store('n1').readStates.concat(c.store('n2').readStates)).toEqual([]);
  });

  it('§6.4 a member that knows no leader fails a read at once', () => {
    const c = new TestCluster();
    c.node('n2').readIndex('r');
    c.flush();
    expect(c.store('n2').readFailures).toEqual(['r']);
    expect(c.queue).toEqual([]);
  });
});
