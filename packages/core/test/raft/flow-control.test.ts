import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import { as, command, commandsOf, msg, TestCluster, type TestClusterOptions } from './harness.js';

/** Entries carried by each append from n1 to `to` that passes the network, in order. */
function recordAppends(c: TestCluster, to: string): number[] {
  const sizes: number[] = [];
  c.filter = (m: Message) => {
    if (m.type === 'append' && m.from === 'n1' && m.to === to) sizes.push(m.entries.length);
    return true;
  };
  return sizes;
}

/** n1 leads; n3 is down while n1 commits ten 100-byte commands (indexes 2..11), then restarts. */
function n3MissedTen(opts: TestClusterOptions): TestCluster {
  const c = new TestCluster(opts);
  c.elect('n1');
  c.crash('n3');
  for (let i = 0; i < 10; i++) c.node('n1').propose(new Uint8Array(100).fill(65 + i));
  c.stabilize();
  c.start('n3');
  return c;
}

describe('flow control of replication', () => {
  it('§5.3 no more than inflightMessagesMax appends are in flight to one follower', () => {
    const c = new TestCluster({ inflightMessagesMax: 2 });
    c.elect('n1');
    // Each proposal taken out on its own (proposals of one Ready share an append).
    for (const text of ['a', 'b', 'c', 'd', 'e']) {
      c.node('n1').propose(command(text));
      c.flush();
    }
    const appends = c.takeMessages(msg('append', 'n1', 'n2'));
    c.takeMessages();
    expect(appends.map((m) => (m.type === 'append' ? commandsOf(m.entries) : []))).toEqual([['a'], ['b']]);
    // One acknowledgement frees one slot; the backlog goes out in one message.
    c.deliver(appends[0]!);
    c.flush();
    c.deliver(c.takeMessages(msg('appendResp', 'n2', 'n1'))[0]!);
    const more = c.flushAndTake(msg('append', 'n1', 'n2'));
    expect(more.map((m) => (m.type === 'append' ? commandsOf(m.entries) : []))).toEqual([['c', 'd', 'e']]);
  });

  it('§5.3 proposals made before the leader’s messages are taken share one append per follower', () => {
    const c = new TestCluster({ entriesPerMessageMax: 3 });
    c.elect('n1');
    for (const text of ['a', 'b', 'c', 'd']) c.node('n1').propose(command(text));
    const appends = c.flushAndTake(msg('append', 'n1', 'n2'));
    c.takeMessages();
    // Within entriesPerMessageMax: the fourth starts another append.
    expect(appends.map((m) => (m.type === 'append' ? commandsOf(m.entries) : []))).toEqual([
      ['a', 'b', 'c'],
      ['d'],
    ]);
    c.deliver(appends[0]!);
    c.deliver(appends[1]!);
    c.stabilize();
    expect(c.appliedCommands('n2')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('§5.3 an append that new entries join carries the newest commit index: the follower need not wait for a heartbeat', () => {
    const c = new TestCluster({ inflightMessagesMax: 2 });
    c.elect('n1');
    c.node('n1').propose(command('a'));
    const first = c.flushAndTake(msg('append', 'n1', 'n2'));
    c.takeMessages();
    // One turn of n1: 'b' fills n2's pipeline and 'c' waits; then n2's answer
    // for 'a' commits it and frees a slot, and 'c' joins the append of 'b'.
    c.node('n1').propose(command('b'));
    c.node('n1').propose(command('c'));
    c.deliver(first[0]!);
    c.flushOne('n2');
    c.deliver(c.takeMessages(msg('appendResp', 'n2', 'n1'))[0]!);
    const merged = as(c.flushAndTake(msg('append', 'n1', 'n2'))[0], 'append');
    expect(commandsOf(merged.entries)).toEqual(['b', 'c']);
    expect(c.appliedCommands('n2')).toEqual([]);
    c.deliver(merged);
    c.flushOne('n2');
    expect(c.appliedCommands('n2')).toEqual(['a']);
  });

  it('§5.3 a catching-up follower gets batches of at most entriesPerMessageMax entries', () => {
    const c = n3MissedTen({ entriesPerMessageMax: 3 });
    const sizes = recordAppends(c, 'n3');
    c.tick('n1');
    c.stabilize();
    // An empty probe past n3's log, then the ten missing entries in batches.
    expect(sizes).toEqual([0, 3, 3, 3, 1]);
    expect(c.node('n3').status().lastIndex).toBe(11);
  });

  it('§5.3 appends respect bytesPerMessageMax, but always carry at least one entry', () => {
    const twoPerMessage = n3MissedTen({ bytesPerMessageMax: 300 });
    const sizes = recordAppends(twoPerMessage, 'n3');
    twoPerMessage.tick('n1');
    twoPerMessage.stabilize();
    expect(sizes).toEqual([0, 2, 2, 2, 2, 2]);

    const tiny = n3MissedTen({ bytesPerMessageMax: 10 });
    const tinySizes = recordAppends(tiny, 'n3');
    tiny.tick('n1');
    tiny.stabilize();
    expect(tinySizes).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it('§5.3 in probe state the leader sends one append at a time, the next only after an answer', () => {
    const c = new TestCluster();
    c.tick('n2', 10);
    c.tick('n3', 10);
    c.campaign('n1');
    c.flush();
    for (const m of c.takeMessages()) c.deliver(m);
    c.flush();
    for (const m of c.takeMessages(msg('preVoteResp'))) c.deliver(m);
    c.flush();
    for (const m of c.takeMessages()) c.deliver(m);
    c.flush();
    for (const m of c.takeMessages(msg('voteResp'))) c.deliver(m);
    expect(c.node('n1').status().role).toBe('leader');
    expect(c.flushAndTake(msg('append', 'n1', 'n2'))).toHaveLength(1);
    c.takeMessages();
    for (const text of ['x', 'y']) c.node('n1').propose(command(text));
    expect(c.flushAndTake(msg('append', 'n1', 'n2'))).toHaveLength(0);
    c.takeMessages();
    // A heartbeat answer shows the follower is alive: the probe is sent again, once.
    c.tick('n1');
    c.flush();
    c.deliver(c.takeMessages(msg('heartbeat', 'n1', 'n2'))[0]!);
    c.takeMessages();
    c.flush();
    c.deliver(c.takeMessages(msg('heartbeatResp', 'n2'))[0]!);
    expect(c.flushAndTake(msg('append', 'n1', 'n2'))).toHaveLength(1);
  });

  it('§5.3 a lost append in replicate state is detected by the next one’s rejection and resent', () => {
    const c = new TestCluster();
    c.elect('n1');
    for (const text of ['a', 'b', 'c']) {
      c.node('n1').propose(command(text));
      c.flush();
    }
    const toN2 = c.takeMessages(msg('append', 'n1', 'n2'));
    expect(toN2).toHaveLength(3);
    // The append carrying 'a' is lost; 'b' and 'c' arrive.
    c.deliver(toN2[1]!);
    c.deliver(toN2[2]!);
    c.stabilize();
    expect(commandsOf(c.node('n2').entries())).toEqual(['a', 'b', 'c']);
    expect(c.appliedCommands('n2')).toEqual(['a', 'b', 'c']);
  });

  it('§5.3 when every append in a full pipeline is lost, heartbeat answers free slots and replication resumes', () => {
    const c = new TestCluster({ inflightMessagesMax: 2 });
    c.elect('n1');
    c.filter = (m) => !(m.type === 'append' && m.to === 'n2');
    // Each proposal taken out on its own, so that three appends fill the pipeline.
    for (const text of ['a', 'b', 'c']) {
      c.node('n1').propose(command(text));
      c.flush();
    }
    c.stabilize();
    c.heal();
    expect(c.node('n2').status().lastIndex).toBe(1);
    for (let i = 0; i < 3; i++) {
      c.tick('n1');
      c.stabilize();
    }
    expect(commandsOf(c.node('n2').entries())).toEqual(['a', 'b', 'c']);
  });

  it('§5.3 the leader refuses proposals beyond uncommittedEntriesMax uncommitted entries', () => {
    const c = new TestCluster({ uncommittedEntriesMax: 3 });
    c.elect('n1');
    c.isolate('n1');
    const results = ['a', 'b', 'c', 'd'].map((t) => c.node('n1').propose(command(t)));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]).toEqual({ ok: false, reason: 'overloaded' });
    c.heal();
    c.stabilize();
    expect(c.node('n1').propose(command('e')).ok).toBe(true);
  });
});
