import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import { as, command, commandsOf, msg, TestCluster } from './harness.js';

const plain = { preVote: false, checkQuorum: false };

/** A 3-member cluster where n1 leads term 1 and everyone holds its no-op (index 1). */
function led(): TestCluster {
  const c = new TestCluster(plain);
  c.elect('n1');
  return c;
}

describe('§5.3 log replication', () => {
  it('§5.3 the leader appends a proposal to its log and sends it to every follower after its previous entry', () => {
    const c = led();
    const res = c.node('n1').propose(command('x'));
    expect(res).toEqual({ ok: true, index: 2, term: 1 });
    const rd = c.node('n1').ready();
    expect(rd.entries.map((e) => [e.index, e.term, e.type])).toEqual([[2, 1, 'command']]);
    const appends = rd.messages.filter((m) => m.type === 'append').map((m) => as(m, 'append'));
    expect(
      appends.map((m) => [m.to, m.prevLogIndex, m.prevLogTerm, m.entries.map((e) => e.index), m.commit]),
    ).toEqual([
      ['n2', 1, 1, [2], 1],
      ['n3', 1, 1, [2], 1],
    ]);
    c.process('n1', rd);
  });

  it('§5.3 an entry is committed, and applied by the leader, once a majority holds it', () => {
    const c = led();
    c.node('n1').propose(command('x'));
    c.flush();
    const [toN2] = c.takeMessages(msg('append', 'n1', 'n2'));
    c.takeMessages();
    expect(c.node('n1').status().commitIndex).toBe(1);
    c.deliver(toN2!);
    c.flush();
    const [ack] = c.takeMessages(msg('appendResp', 'n2', 'n1'));
    expect(as(ack, 'appendResp')).toMatchObject({ reject: false, index: 2 });
    c.deliver(ack!);
    expect(c.node('n1').status().commitIndex).toBe(2);
    const rd = c.node('n1').ready();
    expect(commandsOf(rd.committedEntries)).toEqual(['x']);
    c.process('n1', rd);
  });

  it('§5.3 followers learn the commit index from later messages and apply entries in log order, only once committed', () => {
    const c = led();
    for (const text of ['a', 'b', 'c']) c.node('n1').propose(command(text));
    c.flush();
    // Followers receive the entries but not yet the news that they are committed.
    c.deliverAll();
    c.flush();
    expect(commandsOf(c.store('n2').applied)).toEqual([]);
    expect(c.node('n2').status().lastIndex).toBe(4);
    c.stabilize();
    for (const id of ['n1', 'n2', 'n3']) {
      expect(commandsOf(c.store(id).applied)).toEqual(['a', 'b', 'c']);
      expect(c.store(id).applied.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    }
  });

  it('§5.3 Figure 7: the new leader forces every follower’s log to duplicate its own, with at most one rejection each', () => {
    const ids = ['ld', 'a', 'b', 'c', 'd', 'e', 'f'];
    const c = new TestCluster({ ...plain, ids });
    const logs: Record<string, number[]> = {
      ld: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6],
      a: [1, 1, 1, 4, 4, 5, 5, 6, 6],
      b: [1, 1, 1, 4],
      c: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
      d: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
      e: [1, 1, 1, 4, 4, 4, 4],
      f: [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
    };
    for (const id of ids) c.load(id, logs[id]!, { term: 7 });
    const rejections = new Map<string, number>();
    c.filter = (m: Message) => {
      if (m.type === 'appendResp' && m.reject) rejections.set(m.from, (rejections.get(m.from) ?? 0) + 1);
      return true;
    };
    c.campaign('ld');
    c.stabilize();
    expect(c.node('ld').status()).toMatchObject({ role: 'leader', term: 8, commitIndex: 11 });
    const expected = [...logs.ld!, 8];
    for (const id of ids) {
      expect(c.logTerms(id)).toEqual(expected);
      expect(c.store(id).entries.map((e) => e.term)).toEqual(expected);
    }
    expect(Object.fromEntries(rejections)).toEqual({ a: 1, b: 1, e: 1, f: 1 });
  });

  it('§5.3 a follower refuses an append whose previous entry it lacks, and says where to retry', () => {
    const c = led();
    c.load('n3', [1]);
    c.deliver({
      type: 'append',
      from: 'n1',
      to: 'n3',
      term: 1,
      prevLogIndex: 3,
      prevLogTerm: 1,
      entries: [],
      commit: 1,
    });
    const [resp] = c.flushAndTake(msg('appendResp', 'n3'));
    expect(as(resp, 'appendResp')).toMatchObject({ reject: true, index: 3, hintIndex: 1, hintTerm: 1 });
    expect(c.logTerms('n3')).toEqual([1]);
  });

  it('§5.3 Leader Append-Only: a leader never overwrites or deletes entries in its own log', () => {
    const c = led();
    c.node('n1').propose(command('mine'));
    c.flush();
    c.takeMessages();
    // A stale leader of an older term (n2 thinks it leads term 0) tries to overwrite index 2.
    c.deliver({
      type: 'append',
      from: 'n2',
      to: 'n1',
      term: 0,
      prevLogIndex: 1,
      prevLogTerm: 1,
      entries: [{ type: 'command', term: 0, index: 2, data: command('theirs') }],
      commit: 2,
    });
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', term: 1, lastIndex: 2, commitIndex: 1 });
    expect(commandsOf(c.node('n1').entries())).toEqual(['mine']);
  });

  it('§5.3 a follower commits only entries known to match the leader’s log: a stale suffix is never committed', () => {
    const c = new TestCluster({ ...plain, ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    c.elect('n1');
    // x (index 2, term 1) reaches n5 only; n1 crashes before it commits.
    c.node('n1').propose(command('x'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n5'))[0]!);
    c.crash('n1');
    c.flush();
    c.takeMessages();
    // n2 leads term 2 and commits its no-op at index 2 with n3 and n4, while n5 hears only heartbeats.
    c.filter = (m) => !(m.type === 'append' && m.to === 'n5');
    c.campaign('n2');
    c.stabilize();
    for (let i = 0; i < 3; i++) {
      c.tick('n2');
      c.stabilize();
    }
    expect(c.node('n2').status()).toMatchObject({ role: 'leader', term: 2, commitIndex: 2 });
    expect(c.node('n5').status()).toMatchObject({ term: 2, leaderId: 'n2', commitIndex: 1 });
    expect(c.node('n5').termAt(2)).toBe(1);
    c.heal();
    c.tick('n2');
    c.stabilize();
    expect(c.logTerms('n5')).toEqual([1, 2]);
    expect(commandsOf(c.store('n5').applied)).toEqual([]);
  });
});
