import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import { as, command, commandsOf, msg, TestCluster } from './harness.js';

const plain = { preVote: false, checkQuorum: false };

/** Runs one campaign of `id` to its end: request votes, deliver them and the answers, nothing else. */
function runCampaign(c: TestCluster, id: string): void {
  c.campaign(id);
  c.flush();
  for (const m of c.takeMessages(msg('vote', id))) c.deliver(m);
  c.flush();
  for (const m of c.takeMessages(msg('voteResp', undefined, id))) c.deliver(m);
}

const carries = (index: number) => (m: Message) =>
  m.type === 'append' && m.entries.some((e) => e.index === index);

/**
 * The paper's Figure 8, up to step (c), with five members s1..s5 (every new
 * leader's no-op shifts the paper's indexes by one, which changes nothing):
 * (a) s1 leads term 1 and replicates X (index 2, term 1) to s2 only;
 * (b) s1 crashes; s5 is elected in term 2 by s3 and s4 and appends its no-op
 *     (index 2, term 2) before crashing, having sent it to nobody;
 * (c) s1 restarts and is elected in term 3 by s2 and s3, replicates X to s3
 *     — X is now on a majority — and appends its no-op (index 3, term 3),
 *     which has reached nobody yet.
 */
function figure8c(): TestCluster {
  const ids = ['s1', 's2', 's3', 's4', 's5'];
  const c = new TestCluster({ ...plain, ids, entriesPerMessageMax: 1 });
  c.elect('s1');
  // (a)
  c.partition(['s1', 's2'], ['s3', 's4', 's5']);
  expect(c.node('s1').propose(command('X'))).toMatchObject({ ok: true, index: 2, term: 1 });
  c.stabilize();
  expect(c.node('s1').status().commitIndex).toBe(1);
  // (b)
  c.crash('s1');
  c.partition(['s3', 's4', 's5'], ['s2']);
  runCampaign(c, 's5');
  expect(c.node('s5').status()).toMatchObject({ role: 'leader', term: 2 });
  c.flush();
  c.takeMessages();
  c.crash('s5');
  expect(c.store('s5').entries.map((e) => e.term)).toEqual([1, 2]);
  // (c) s1's first campaign (term 2) fails: s3 and s4 already voted for s5 in term 2.
  c.start('s1');
  c.partition(['s1', 's2', 's3'], ['s4']);
  runCampaign(c, 's1');
  expect(c.node('s1').status()).toMatchObject({ role: 'candidate', term: 2 });
  runCampaign(c, 's1');
  expect(c.node('s1').status()).toMatchObject({ role: 'leader', term: 3 });
  const cut = c.filter;
  c.filter = (m) => cut(m) && !carries(3)(m);
  c.stabilize();
  c.filter = cut;
  expect([c.logTerms('s1'), c.logTerms('s2'), c.logTerms('s3'), c.logTerms('s4')]).toEqual([
    [1, 1, 3],
    [1, 1],
    [1, 1],
    [1],
  ]);
  return c;
}

describe('§5.4 safety', () => {
  it('§5.4.1 a voter refuses a candidate whose log is less up-to-date than its own', () => {
    const c = new TestCluster(plain);
    c.load('n2', [1, 1, 2], { term: 2 });
    const asks: [number, number][] = [
      [3, 2],
      [2, 2],
      [9, 1],
      [1, 3],
    ];
    asks.forEach(([lastLogIndex, lastLogTerm], i) => {
      c.deliver({
        type: 'vote',
        from: 'n1',
        to: 'n2',
        term: 3 + i,
        lastLogIndex,
        lastLogTerm,
        transfer: false,
      });
    });
    const answers = c.flushAndTake(msg('voteResp', 'n2')).map((m) => as(m, 'voteResp').reject);
    expect(answers).toEqual([false, true, true, false]);
  });

  it('§5.4.1 a member missing a committed entry cannot be elected; the next leader holds every committed entry', () => {
    const c = new TestCluster(plain);
    c.elect('n1');
    c.isolate('n3');
    c.node('n1').propose(command('committed'));
    c.stabilize();
    expect(commandsOf(c.store('n1').applied)).toEqual(['committed']);
    c.crash('n1');
    c.heal();
    runCampaign(c, 'n3');
    expect(c.node('n3').status()).toMatchObject({ role: 'candidate', term: 2 });
    runCampaign(c, 'n2');
    expect(c.node('n2').status()).toMatchObject({ role: 'leader', term: 3 });
    c.stabilize();
    for (const id of ['n2', 'n3']) expect(commandsOf(c.store(id).applied)).toEqual(['committed']);
  });

  it('§5.4.2 Figure 8 (c→d): a leader does not commit an entry of an earlier term by counting replicas, so it may be overwritten', () => {
    const c = figure8c();
    // X is on s1, s2, s3 — a majority — yet s1 (term 3) has not committed it.
    expect(c.node('s1').status().commitIndex).toBe(1);
    // (d) s1 crashes; s5 restarts and is elected by s2, s3, s4 (its last term 2 beats their 1).
    c.crash('s1');
    c.start('s5');
    c.heal();
    runCampaign(c, 's5');
    expect(c.node('s5').status()).toMatchObject({ role: 'candidate', term: 3 });
    runCampaign(c, 's5');
    expect(c.node('s5').status()).toMatchObject({ role: 'leader', term: 4 });
    c.stabilize();
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(c.logTerms(id)).toEqual([1, 2, 4]);
      expect(c.node(id).status().commitIndex).toBe(3);
    }
    // X was replaced everywhere, which is safe only because nobody ever applied it.
    for (const id of ['s1', 's2', 's3', 's4', 's5']) expect(commandsOf(c.store(id).applied)).toEqual([]);
  });

  it('§5.4.2 Figure 8 (c→e): once an entry of the leader’s term commits, earlier entries are committed and survive', () => {
    const c = figure8c();
    // (e) s1 replicates its own no-op to s2 and s3: index 3 commits, and X with it.
    c.tick('s1');
    c.stabilize();
    expect(c.node('s1').status().commitIndex).toBe(3);
    expect(commandsOf(c.store('s1').applied)).toEqual(['X']);
    c.crash('s1');
    c.start('s5');
    c.heal();
    // s5 can no longer win: s2 and s3 hold a more up-to-date log.
    for (let i = 0; i < 3; i++) {
      runCampaign(c, 's5');
      expect(c.node('s5').status().role).not.toBe('leader');
    }
    c.takeMessages();
    runCampaign(c, 's2');
    expect(c.node('s2').status().role).toBe('leader');
    c.stabilize();
    for (const id of ['s2', 's3', 's4', 's5']) {
      expect(commandsOf(c.store(id).applied)).toEqual(['X']);
      expect(c.node(id).termAt(2)).toBe(1);
    }
  });
});
