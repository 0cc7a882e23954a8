import { describe, expect, it } from 'vitest';
import { RawNode } from '../../src/raft/raw-node.js';
import type { MemberId } from '../../src/raft/types.js';
import { as, command, commandsOf, msg, TestCluster } from './harness.js';

/** A RawNode on its own, without pre-votes or CheckQuorum, recovered from `recovered`. */
function plainNode(
  id: MemberId,
  initialVoters: MemberId[],
  recovered: ConstructorParameters<typeof RawNode>[1],
) {
  return new RawNode(
    {
      id,
      initialVoters,
      heartbeatTicks: 1,
      electionTicks: 10,
      electionTicksMax: 20,
      random: () => 0,
      preVote: false,
      checkQuorum: false,
    },
    recovered,
  );
}

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

  it('§5.3 the leader counts its own copy of an entry only after persisted() says it is durable', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').propose(command('x'));
    const rd = c.node('n1').ready();
    c.holding.add('n1');
    expect(rd.entries.map((e) => e.index)).toEqual([2]);
    // Its appends leave in parallel with its own write (dissertation §10.2.1), but its own copy
    // of the entry only counts once the write is done.
    expect(rd.messages.map((m) => [m.type, m.to])).toEqual([
      ['append', 'n2'],
      ['append', 'n3'],
    ]);
    c.queue.push(...rd.messages);
    c.persist('n1', rd);
    c.deliver(c.takeMessages(msg('append', 'n1', 'n2'))[0]!);
    c.takeMessages();
    c.flush();
    c.deliver(c.takeMessages(msg('appendResp', 'n2', 'n1'))[0]!);
    expect(c.node('n1').status().commitIndex).toBe(1);
    c.node('n1').persisted(rd);
    expect(c.node('n1').status().commitIndex).toBe(2);
    c.node('n1').advance(rd);
    c.holding.delete('n1');
  });

  it('§5.3 a follower acknowledges entries only once the Ready that writes them is persisted', () => {
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
    expect(rd1.messages).toEqual([]);
    // An entry that arrives while rd1 is being persisted is acknowledged in the next Ready, with it.
    c.node('n1').propose(command('y'));
    c.flush();
    const [second] = c.takeMessages(msg('append', 'n1', 'n2'));
    c.takeMessages();
    c.deliver(second!);
    c.persist('n2', rd1);
    const after1 = c.node('n2').persisted(rd1);
    expect(after1.messages.map((m) => [m.type, as(m, 'appendResp').index])).toEqual([['appendResp', 2]]);
    c.node('n2').advance(rd1);
    c.holding.delete('n2');
    const { rd: rd2, after: after2 } = c.readyAndPersist('n2');
    expect(rd2.entries.map((e) => e.index)).toEqual([3]);
    expect(rd2.messages).toEqual([]);
    expect(after2.messages.map((m) => as(m, 'appendResp').index)).toEqual([3]);
    c.node('n2').advance(rd2);
  });

  it('§5.3 in a whole run, no acknowledgement or vote is handed out before what it vouches for is durable', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    let acks = 0;
    let votes = 0;
    let early = 0;
    const drain = () => {
      for (let round = 0; round < 100; round++) {
        for (const id of c.nodes.keys()) {
          while (c.node(id).hasReady()) {
            const node = c.node(id);
            const rd = node.ready();
            // Before the write: only a leader's replication, whose term and vote are on disk already.
            for (const m of rd.messages) {
              early++;
              expect(['append', 'heartbeat', 'snapshot']).toContain(m.type);
              expect(c.store(id).hardState).toMatchObject({ term: m.term });
            }
            c.queue.push(...rd.messages);
            c.persist(id, rd);
            const after = node.persisted(rd);
            for (const m of after.messages) {
              if (m.type === 'appendResp' && !m.reject) {
                acks++;
                expect(m.index).toBeLessThanOrEqual(durableLastIndex(c, id));
              }
              if (m.type === 'voteResp' && !m.reject) {
                votes++;
                expect(c.store(id).hardState).toMatchObject({ term: m.term, vote: m.to });
              }
            }
            c.queue.push(...after.messages);
            node.advance(rd);
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
    expect(early).toBeGreaterThan(40);
  });

  it('§5.2 a vote cast in the term the member already holds must be synced before it is answered', () => {
    // A member that learned term 2 without voting in it (e.g. it refused a candidate whose log was
    // behind) grants a vote later in the same term: only the vote changes, and it must be fsynced.
    const node = plainNode('n2', ['n1', 'n2', 'n3'], { hardState: { term: 2, vote: undefined, commit: 0 } });
    node.step({
      type: 'vote',
      from: 'n3',
      to: 'n2',
      term: 2,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: false,
    });
    const rd = node.ready();
    expect(rd.hardState).toEqual({ term: 2, vote: 'n3', commit: 0 });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([]);
    const after = node.persisted(rd);
    expect(after.messages).toMatchObject([
      { type: 'voteResp', from: 'n2', to: 'n3', term: 2, reject: false },
    ]);
    node.advance(rd);
  });

  it('§10.2.1 a new leader replicates ahead of its write only once its term and vote are durable', () => {
    const c = new TestCluster();
    // n2 and n3 sit out their start-up quiet period (they refuse votes for one election timeout).
    c.tick('n2', 10);
    c.tick('n3', 10);
    c.campaign('n1');
    c.flush();
    c.deliverAll();
    c.flush();
    c.holding.add('n1');
    // The pre-vote won: n1 becomes a candidate, its new term and vote not yet on disk.
    for (const m of c.takeMessages(msg('preVoteResp'))) c.deliver(m);
    const candidacy = c.node('n1').ready();
    expect(candidacy.hardState).toMatchObject({ term: 1, vote: 'n1' });
    c.holding.add('n1');
    // Its vote requests were held back with the write: nobody can have answered yet.
    expect(candidacy.messages).toEqual([]);
    c.persist('n1', candidacy);
    const released = c.node('n1').persisted(candidacy);
    c.node('n1').advance(candidacy);
    c.queue.push(...released.messages);
    c.deliverAll();
    c.flush();
    for (const m of c.takeMessages(msg('voteResp'))) c.deliver(m);
    expect(c.node('n1').status().role).toBe('leader');
    // Durable term and vote: the leader's first appends may leave before its write of the no-op.
    const rd = c.node('n1').ready();
    expect(rd.messages.length).toBeGreaterThan(0);
    expect(rd.messages.every((m) => m.type === 'append' || m.type === 'heartbeat')).toBe(true);
    c.holding.delete('n1');
    c.process('n1', rd);
  });

  it('§10.2.1 a sole voter that wins at once sends its learners nothing before its new term and vote are durable', () => {
    // Elected in the same step it campaigns: were its appends to leave before the term is on disk, a
    // crash could let it win the same term again and append other entries at indexes a learner holds.
    const node = plainNode('n1', ['n1'], {
      hardState: { term: 1, vote: 'n1', commit: 1 },
      snapshot: {
        meta: { index: 1, term: 1, config: { voters: ['n1'], learners: ['n2'], addresses: {} } },
        data: new Uint8Array(),
      },
    });
    for (let tick = 0; tick < 20 && node.status().role !== 'leader'; tick++) node.tick();
    expect(node.status()).toMatchObject({ role: 'leader', term: 2 });
    const rd = node.ready();
    expect(rd.hardState).toMatchObject({ term: 2, vote: 'n1' });
    expect(rd.mustSync).toBe(true);
    expect(rd.messages).toEqual([]);
    expect(node.takeLeaderMessages().messages).toEqual([]);
    const after = node.persisted(rd);
    expect(after.messages.filter((m) => m.to === 'n2').length).toBeGreaterThan(0);
    node.advance(rd);
  });

  it('§10.2.1 while a new term is being written, a leader takes no replication out early', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.stabilize();
    // n1 learns of term 5 from a stale-looking vote request it refuses; that bumps its term.
    c.node('n1').step({
      type: 'vote',
      from: 'n3',
      to: 'n1',
      term: 5,
      lastLogIndex: 0,
      lastLogTerm: 0,
      transfer: true,
    });
    const rd = c.node('n1').ready();
    expect(rd.hardState?.term).toBe(5);
    expect(rd.messages).toEqual([]);
    expect(c.node('n1').takeLeaderMessages().messages).toEqual([]);
    c.persist('n1', rd);
    c.node('n1').persisted(rd);
    c.node('n1').advance(rd);
  });

  it('holds the driver to the order: persisted() once per Ready, before advance()', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.node('n1').propose(command('x'));
    const rd = c.node('n1').ready();
    expect(() => c.node('n1').advance(rd)).toThrow();
    c.persist('n1', rd);
    c.node('n1').persisted(rd);
    expect(() => c.node('n1').persisted(rd)).toThrow();
    c.node('n1').advance(rd);
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
