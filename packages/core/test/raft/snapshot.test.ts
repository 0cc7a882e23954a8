import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import { as, command, msg, snapshotCommands, TestCluster } from './harness.js';

/** n1 leads; n3 is cut off while n1 commits a..e (indexes 2..6) and compacts its log up to index 5. */
function compactedWhileN3Away(): TestCluster {
  const c = new TestCluster();
  c.elect('n1');
  c.isolate('n3');
  for (const text of ['a', 'b', 'c', 'd', 'e']) c.node('n1').propose(command(text));
  c.stabilize();
  expect(c.node('n1').status().appliedIndex).toBe(6);
  c.compact('n1', 5);
  return c;
}

describe('§7 log compaction and InstallSnapshot', () => {
  it('§7 compaction drops the entries a snapshot covers, and the log still knows the last one’s term', () => {
    const c = compactedWhileN3Away();
    const s = c.node('n1').status();
    expect([s.snapshotIndex, s.lastIndex, s.commitIndex]).toEqual([5, 6, 6]);
    expect(
      c
        .node('n1')
        .entries()
        .map((e) => e.index),
    ).toEqual([6]);
    expect(c.node('n1').termAt(5)).toBe(1);
    expect(c.node('n1').termAt(4)).toBeUndefined();
    expect(snapshotCommands(c.store('n1').snapshot!)).toEqual(['a', 'b', 'c', 'd']);
    // The leader goes on replicating from its compacted log.
    c.node('n1').propose(command('f'));
    c.stabilize();
    expect(c.appliedCommands('n2')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('§7 a follower missing compacted entries receives the snapshot, then the entries after it', () => {
    const c = compactedWhileN3Away();
    c.heal();
    const toN3: Message[] = [];
    c.filter = (m) => {
      if (m.from === 'n1' && m.to === 'n3' && m.type !== 'heartbeat') toN3.push(m);
      return true;
    };
    c.tick('n1');
    c.stabilize();
    const kinds = toN3.map((m) =>
      m.type === 'append' ? `append>${m.prevLogIndex}+${m.entries.length}` : m.type,
    );
    expect(kinds.slice(kinds.indexOf('snapshot'))).toEqual(['snapshot', 'append>5+1']);
    expect(toN3.filter((m) => m.type === 'snapshot')).toHaveLength(1);
    expect(
      as(
        toN3.find((m) => m.type === 'snapshot'),
        'snapshot',
      ).snapshot.meta,
    ).toMatchObject({ index: 5, term: 1 });
    expect(c.store('n3').snapshot?.meta.index).toBe(5);
    expect(c.node('n3').status()).toMatchObject({ snapshotIndex: 5, lastIndex: 6, commitIndex: 6 });
    expect(c.appliedCommands('n3')).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(c.node('n3').status().config.voters).toEqual(['n1', 'n2', 'n3']);
  });

  it('§7 a snapshot that gets no answer is sent again after an election timeout', () => {
    const c = compactedWhileN3Away();
    c.heal();
    const snapshotsAt: number[] = [];
    let t = 0;
    c.filter = (m) => {
      if (m.type === 'snapshot') snapshotsAt.push(t);
      return m.type !== 'snapshot';
    };
    for (t = 1; t <= 25; t++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(snapshotsAt.length).toBeGreaterThanOrEqual(2);
    expect(snapshotsAt[1]! - snapshotsAt[0]!).toBe(c.electionTicks);
    c.heal();
    for (let t = 0; t < 12; t++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.appliedCommands('n3')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('§7 a leader restarted from its snapshot can still send it to a follower that is behind', () => {
    const c = compactedWhileN3Away();
    // n1 restarts from its snapshot and wins the next election; n3 is still behind index 5.
    c.crash('n1');
    c.start('n1', undefined, 10);
    c.tick('n2', 10);
    c.campaign('n1');
    c.stabilize();
    expect(c.node('n1').status()).toMatchObject({ role: 'leader', snapshotIndex: 5 });
    c.heal();
    for (let t = 0; t < 3; t++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(c.node('n3').status().commitIndex).toBeGreaterThanOrEqual(6);
    expect(c.appliedCommands('n3')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('§7 a snapshot the follower’s log already covers does not replace its log', () => {
    const c = new TestCluster();
    c.elect('n1');
    for (const text of ['a', 'b', 'c']) c.node('n1').propose(command(text));
    c.stabilize();
    const snapshot = c.compact('n1', 3);
    const log = c.node('n2').entries();
    // Committed on n2 already: just acknowledged.
    c.deliver({ type: 'snapshot', from: 'n1', to: 'n2', term: 1, snapshot });
    const [resp] = c.flushAndTake(msg('appendResp', 'n2'));
    expect(as(resp, 'appendResp')).toMatchObject({ reject: false, index: 4 });
    expect(c.node('n2').entries()).toEqual(log);
    expect(c.store('n2').snapshot).toBeUndefined();
  });
});
