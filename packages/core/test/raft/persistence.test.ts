import { describe, expect, it } from 'vitest';
import type { Ready } from '../../src/raft/ready.js';
import type { MemberId } from '../../src/raft/types.js';
import { as, command, commandsOf, msg, TestCluster } from './harness.js';

/** The highest index a member's store holds after persisting `rd`. */
function durableLastIndex(c: TestCluster, id: MemberId): number {
  const s = c.store(id);
  return s.entries[s.entries.length - 1]?.index ?? s.snapshot?.meta.index ?? 0;
}

describe('persistence and the Ready contract', () => {
  it('§5.1 (Figure 2) a restarted member keeps its term, vote, log and committed entries', () => {
    const c = new TestCluster();
    c.elect('n1');
    for (const text of ['a', 'b']) c.node('n1').propose(command(text));
    c.stabilize();
    const before = c.node('n2').status();
    const log = c.node('n2').entries();
    c.crash('n2');
    c.start('n2');
    const after = c.node('n2').status();
    expect({
      term: after.term,
      vote: after.vote,
      lastIndex: after.lastIndex,
      commitIndex: after.commitIndex,
    }).toEqual({ term: before.term, vote: before.vote, lastIndex: 3, commitIndex: 3 });
    expect(c.node('n2').entries()).toEqual(log);
    // Committed entries are applied again from the start: the state machine is volatile here.
    c.flush();
    expect(commandsOf(c.store('n2').applied)).toEqual(['a', 'b']);
  });

  it('§5.3 the leader counts its own copy of an entry only after advance() says it is durable', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').propose(command('x'));
    const rd = c.node('n1').ready();
    c.holding.add('n1');
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    // Messages may go out in parallel with the leader's own write (paper §10.2.1), but its vote for
    // the entry only counts once the write is done.
    c.persist('n1', rd);
    c.queue.push(...rd.messages);
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    c.takeMessages();
    c.flush();
    c.deliver(c.takeMessages(msg('appendResp', 'n2', 'n1'))[0]!);
    expect(c.node('n1').status().commitIndex).toBe(1);
    c.node('n1').advance(rd);
    c.holding.delete('n1');
    expect(c.node('n1').status().commitIndex).toBe(2);
  });

  it('§5.3 a follower acknowledges entries only in the Ready that hands them over for persisting', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').propose(command('x'));
    c.flush();
    const [first] = c.takeMessages(msg('append', 'n1', 'n2'));
    c.takeMessages();
    c.deliver(first!);
    const rd1 = c.node('n2').ready();
    c.holding.add('n2');
    expect(rd1.entries.map((e) => e.index)).toEqual([2]);
    expect(rd1.messages.map((m) => [m.type, as(m, 'appendResp').index])).toEqual([['appendResp', 2]]);
    // An entry that arrives while rd1 is being persisted is acknowledged in the next Ready, with it.
    c.node('n1').propose(command('y'));
    c.flush();
    const [second] = c.takeMessages(msg('append', 'n1', 'n2'));
    c.takeMessages();
    c.deliver(second!);
    c.process('n2', rd1);
    c.holding.delete('n2');
    const rd2 = c.node('n2').ready();
    expect(rd2.entries.map((e) => e.index)).toEqual([3]);
    expect(rd2.messages.map((m) => as(m, 'appendResp').index)).toEqual([3]);
    c.process('n2', rd2);
  });

  it('§5.3 in a whole run, no acknowledgement or vote leaves a member before what it vouches for is durable', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    let acks = 0;
    let votes = 0;
    const check = (id: MemberId, rd: Ready) => {
      c.persist(id, rd);
      for (const m of rd.messages) {
        if (m.type === 'appendResp' && !m.reject) {
          acks++;
          expect(m.index).toBeLessThanOrEqual(durableLastIndex(c, id));
        }
        if (m.type === 'voteResp' && !m.reject) {
          votes++;
          expect(c.store(id).hardState).toMatchObject({ term: m.term, vote: m.to });
        }
      }
    };
    const drain = () => {
      for (let round = 0; round < 100; round++) {
        for (const id of c.nodes.keys()) {
          while (c.node(id).hasReady()) {
            const rd = c.node(id).ready();
            check(id, rd);
            c.process(id, rd);
          }
        }
        if (c.queue.length === 0) return;
        c.deliverAll();
      }
    };
    for (let tick = 0; tick < 40; tick++) {
      c.tickAll();
      if (c.leader() !== undefined) c.node(c.leader()!).propose(command(`c${tick}`));
      drain();
    }
    expect(votes).toBeGreaterThanOrEqual(2);
    expect(acks).toBeGreaterThan(40);
  });

  it('§5.1 whatever a member had not persisted when it crashed is gone after the restart', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').propose(command('lost'));
    c.crash('n1');
    c.start('n1');
    expect(c.node('n1').status()).toMatchObject({ role: 'follower', lastIndex: 1 });
    expect(commandsOf(c.node('n1').entries())).toEqual([]);
  });
});
