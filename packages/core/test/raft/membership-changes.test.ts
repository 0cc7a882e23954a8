import { describe, expect, it } from 'vitest';
import type { ConfigChange } from '../../src/raft/types.js';
import { command, msg, TestCluster } from './harness.js';

const base = ['n1', 'n2', 'n3'];

/** n1 leads n1..n3; `change` is proposed, and `joiner` (if any) started and the cluster settled. */
function changed(change: ConfigChange, joiner?: string): TestCluster {
  const c = new TestCluster();
  c.elect('n1');
  if (joiner) c.start(joiner, base);
  expect(c.node('n1').proposeConfigChange(change)).toMatchObject({ ok: true });
  c.stabilize();
  return c;
}

/** Whether n1 can commit a command with only the members in `up` reachable. */
function commitsWith(c: TestCluster, up: string[]): boolean {
  c.partition(up);
  const res = c.node('n1').propose(command('probe'));
  if (!res.ok) throw new Error(`proposal refused: ${res.reason}`);
  c.tick('n1');
  c.stabilize();
  const committed = c.node('n1').status().commitIndex >= res.index;
  c.heal();
  return committed;
}

describe('membership changes, one server at a time (dissertation §4.1)', () => {
  it('§4.1 an added voter receives the log, and once the change commits quorums count it', () => {
    const c = changed({ op: 'addVoter', id: 'n4', address: 'ws://n4' }, 'n4');
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      expect(c.node(id).status().config).toEqual({
        voters: ['n1', 'n2', 'n3', 'n4'],
        learners: [],
        addresses: { n4: 'ws://n4' },
      });
    }
    expect(c.node('n4').status().lastIndex).toBe(c.node('n1').status().lastIndex);
    // With four voters, n1 and n2 are no longer a majority; n1, n2 and n4 are.
    expect(commitsWith(c, ['n1', 'n2'])).toBe(false);
    c.stabilize();
    expect(commitsWith(c, ['n1', 'n2', 'n4'])).toBe(true);
  });

  it('§4.1 after a voter is removed, quorums no longer need it', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4'] });
    c.elect('n1');
    expect(c.node('n1').proposeConfigChange({ op: 'removeMember', id: 'n4' })).toMatchObject({ ok: true });
    c.stabilize();
    expect(c.node('n1').status().config.voters).toEqual(['n1', 'n2', 'n3']);
    c.crash('n4');
    expect(commitsWith(c, ['n1', 'n2'])).toBe(true);
  });

  it('§4.2.1 learners receive the log but never campaign, and neither their acks nor their votes count', () => {
    const c = changed({ op: 'addLearner', id: 'n4' }, 'n4');
    expect(c.node('n1').status().config).toMatchObject({ voters: base, learners: ['n4'] });
    expect(c.node('n4').status().lastIndex).toBe(c.node('n1').status().lastIndex);
    // Acks: n1 and the learner are not a majority of three voters.
    expect(commitsWith(c, ['n1', 'n4'])).toBe(false);
    // Campaigns: a learner cut off for ages never asks for votes.
    c.isolate('n4');
    c.tick('n4', 100);
    c.flush();
    expect(c.node('n4').status()).toMatchObject({ role: 'follower' });
    expect(c.takeMessages((m) => m.from === 'n4')).toEqual([]);
    // Votes: a candidate never asks the learner, and a learner's grant would not count anyway.
    c.heal();
    c.crash('n1');
    c.crash('n3');
    c.campaign('n2');
    c.flush();
    expect(c.queue.filter((m) => m.to === 'n4')).toEqual([]);
    c.deliver({
      type: 'preVoteResp',
      from: 'n4',
      to: 'n2',
      term: c.node('n2').status().term + 1,
      reject: false,
    });
    expect(c.node('n2').status().role).toBe('preCandidate');
  });

  it('§4.1 a second change is refused while one is still uncommitted', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.start('n4', base);
    c.isolate('n1');
    expect(c.node('n1').proposeConfigChange({ op: 'addLearner', id: 'n4' })).toMatchObject({ ok: true });
    expect(c.node('n1').proposeConfigChange({ op: 'removeMember', id: 'n3' })).toEqual({
      ok: false,
      reason: 'configPending',
    });
    c.heal();
    c.tick('n1');
    c.stabilize();
    expect(c.node('n1').status().config.learners).toEqual(['n4']);
    expect(c.node('n1').proposeConfigChange({ op: 'addVoter', id: 'n4' })).toMatchObject({ ok: true });
  });

  it('§4.1 a new leader accepts no change until the entries of earlier terms are committed', () => {
    const c = new TestCluster();
    c.elect('n1');
    // x (index 2, term 1) reaches n2 only, and n1 crashes before it commits.
    c.node('n1').propose(command('x'));
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    c.crash('n1');
    c.flush();
    c.takeMessages();
    c.tick('n3', 10);
    c.campaign('n2');
    c.filter = (m) => m.type !== 'append';
    c.stabilize();
    expect(c.node('n2').status()).toMatchObject({ role: 'leader', term: 2, commitIndex: 1, lastIndex: 3 });
    expect(c.node('n2').proposeConfigChange({ op: 'removeMember', id: 'n1' })).toEqual({
      ok: false,
      reason: 'configPending',
    });
    c.heal();
    c.tick('n2');
    c.stabilize();
    expect(c.node('n2').status().commitIndex).toBe(3);
    expect(c.node('n2').proposeConfigChange({ op: 'removeMember', id: 'n1' })).toMatchObject({ ok: true });
  });

  it('§4.2.2 a leader that removes itself steps down once the removal commits, and never campaigns again', () => {
    const c = new TestCluster();
    c.elect('n1');
    const res = c.node('n1').proposeConfigChange({ op: 'removeMember', id: 'n1' });
    expect(res).toMatchObject({ ok: true });
    c.stabilize();
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', config: { voters: ['n2', 'n3'] } });
    for (let i = 0; i < 60 && !['n2', 'n3'].includes(c.leader() ?? ''); i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(['n2', 'n3']).toContain(c.leader());
    expect(c.node('n1').status().role).toBe('follower');
  });

  it('§4.2.1 a learner promoted to voter counts in quorums and may campaign', () => {
    const c = changed({ op: 'addLearner', id: 'n4' }, 'n4');
    expect(c.node('n1').proposeConfigChange({ op: 'addVoter', id: 'n4' })).toMatchObject({ ok: true });
    c.stabilize();
    expect(c.node('n4').status().config).toMatchObject({ voters: ['n1', 'n2', 'n3', 'n4'], learners: [] });
    expect(commitsWith(c, ['n1', 'n2', 'n4'])).toBe(true);
    c.isolate('n1');
    c.tick('n4', 30);
    c.flush();
    expect(c.takeMessages(msg('preVote', 'n4')).map((m) => m.to)).toEqual(['n1', 'n2', 'n3']);
  });

  it('§4.2.2 a leader demoted to learner steps down once the change commits', () => {
    const c = changed({ op: 'addLearner', id: 'n1' });
    expect(c.node('n1').status().config).toMatchObject({ voters: ['n2', 'n3'], learners: ['n1'] });
    expect(c.node('n1').status().role).toBe('follower');
  });

  it('§4.2.3 a removed member that never learns of its removal does not disrupt the cluster', () => {
    const c = new TestCluster();
    c.elect('n1');
    expect(c.node('n1').proposeConfigChange({ op: 'removeMember', id: 'n3' })).toMatchObject({ ok: true });
    // n3 gets the entry, so its log is as up-to-date as anyone's, but never hears that it committed.
    c.flush();
    c.deliverAll();
    c.isolate('n3');
    c.stabilize();
    expect(c.node('n3').status()).toMatchObject({ lastIndex: 2, commitIndex: 1 });
    expect(c.node('n1').status().config.voters).toEqual(['n1', 'n2']);
    // n3 still believes it is a voter and times out again and again.
    for (let i = 0; i < 50; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.node('n3').status().role).toBe('preCandidate');
    c.heal();
    for (let i = 0; i < 50; i++) {
      c.tickAll();
      c.stabilize();
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', term: 1 });
    expect(c.node('n2').status()).toMatchObject({ term: 1, leaderId: 'n1' });
  });

  it('§4.1 a member that holds a configuration change durably knows that the previous one is committed', () => {
    // With changes taking effect at commit, a member restarted with change k in its log but not
    // knowing change k-1 committed would count votes with a configuration two changes old.
    const c = new TestCluster();
    c.elect('n1');
    c.start('n4', base);
    c.start('n5', base);
    c.node('n1').proposeConfigChange({ op: 'addVoter', id: 'n4' });
    c.stabilize();
    c.node('n1').proposeConfigChange({ op: 'addVoter', id: 'n5' });
    c.flush();
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    c.takeMessages();
    c.flush();
    c.crash('n2');
    expect(c.store('n2').entries.at(-1)).toMatchObject({
      type: 'config',
      change: { op: 'addVoter', id: 'n5' },
    });
    c.start('n2');
    expect(c.node('n2').status().config.voters).toEqual(['n1', 'n2', 'n3', 'n4']);
  });
});
