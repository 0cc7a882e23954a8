import { describe, expect, it } from 'vitest';
import { as, command, commandsOf, msg, TestCluster } from './harness.js';

/** n1 leads; n3 missed two committed entries while it was cut off. */
function withLaggingN3(): TestCluster {
  const c = new TestCluster();
  c.elect('n1');
  c.isolate('n3');
  for (const text of ['a', 'b']) c.node('n1').propose(command(text));
  c.stabilize();
  c.heal();
  return c;
}

describe('leadership transfer (dissertation §3.10)', () => {
  it('§3.10 the target is brought up to date first; TimeoutNow follows its acknowledgement of the last entry', () => {
    const c = withLaggingN3();
    c.node('n1').transferLeadership('n3');
    const first = c.flushAndTake((m) => m.from === 'n1' && m.to === 'n3');
    expect(first.map((m) => m.type)).toEqual(['append']);
    const sent: string[] = [];
    c.filter = (m) => {
      if (m.from === 'n1' && m.to === 'n3') sent.push(m.type);
      return true;
    };
    for (const m of first) c.deliver(m);
    c.stabilize();
    // Every append comes before the TimeoutNow, which comes once.
    expect(sent.filter((t) => t === 'timeoutNow')).toHaveLength(1);
    expect(sent.lastIndexOf('append')).toBeLessThan(sent.indexOf('timeoutNow'));
    expect(c.leader()).toBe('n3');
    expect(c.node('n3').status().term).toBe(2);
    c.node('n3').propose(command('c'));
    c.stabilize();
    for (const id of ['n1', 'n2', 'n3']) expect(commandsOf(c.store(id).applied)).toEqual(['a', 'b', 'c']);
  });

  it('§3.10 the leader refuses proposals while a transfer is under way', () => {
    const c = withLaggingN3();
    c.node('n1').transferLeadership('n3');
    expect(c.node('n1').propose(command('late'))).toEqual({ ok: false, reason: 'transferring' });
    expect(c.node('n1').proposeConfigChange({ op: 'removeMember', id: 'n2' })).toMatchObject({ ok: false });
    expect(c.node('n1').status().lastIndex).toBe(3);
  });

  it('§3.10 a transfer whose target never catches up is abandoned after an election timeout', () => {
    const c = withLaggingN3();
    c.isolate('n3');
    c.node('n1').transferLeadership('n3');
    for (let i = 0; i < c.electionTicks - 1; i++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', leadTransferee: 'n3' });
    c.tick('n1');
    c.stabilize();
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', leadTransferee: undefined, term: 1 });
    expect(c.node('n1').propose(command('again'))).toMatchObject({ ok: true });
  });

  it('§3.10 a leader that sent TimeoutNow and was not replaced steps down after an election timeout', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').transferLeadership('n2');
    const [timeoutNow] = c.flushAndTake(msg('timeoutNow', 'n1', 'n2'));
    expect(as(timeoutNow, 'timeoutNow').term).toBe(1);
    // The TimeoutNow is lost; n2 never campaigns.
    for (let i = 0; i < c.electionTicks - 1; i++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.node('n1').status().role).toBe('leader');
    c.tick('n1');
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', term: 1, leaderId: undefined });
  });

  it('§3.10 a transfer to a non-voter or to itself is ignored', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').transferLeadership('n1');
    c.node('n1').transferLeadership('nobody');
    expect(c.node('n1').status().leadTransferee).toBeUndefined();
    expect(c.flushAndTake(msg('timeoutNow'))).toEqual([]);
  });

  it('the default transfer target is a voter heard from recently, not a caught-up one that went silent', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    c.elect('n1');
    c.node('n1').propose(command('a'));
    c.stabilize();
    // All caught up: the first by match wins the tie.
    expect(c.node('n1').mostCaughtUpVoter()).toBe('n2');
    c.isolate('n2');
    for (let i = 0; i < 3; i++) {
      c.tick('n1');
      c.stabilize();
    }
    const target = c.node('n1').mostCaughtUpVoter();
    expect(target).not.toBe('n2');
    expect(['n3', 'n4', 'n5']).toContain(target);
    // Nobody heard from: still a target (the best-matching), so a transfer can be tried.
    c.isolate('n1');
    for (let i = 0; i < 3; i++) c.tick('n1');
    expect(c.node('n1').mostCaughtUpVoter()).toBeDefined();
  });
});
