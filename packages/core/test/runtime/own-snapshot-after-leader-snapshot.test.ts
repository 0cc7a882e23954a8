import { describe, expect, it } from 'vitest';
import type { Message, Snapshot } from '../../src/raft/types.js';
import { command, TestCluster } from '../raft/harness.js';
import { driveMember, runAll } from './driven-member.js';

/**
 * A member's own snapshot is saved asynchronously while it keeps stepping
 * messages: a newer snapshot from its leader may be installed meanwhile. The
 * older one must not replace it as the snapshot this member offers lagging
 * followers once it leads (its log no longer holds that snapshot's end).
 */
describe('a member that installs a leader snapshot while saving its own', () => {
  it('keeps offering the newest snapshot it holds, so a lagging follower catches up', () => {
    const c = new TestCluster({ ids: ['n1', 'n2', 'n3', 'n4', 'n5'] });
    c.elect('n1');
    c.stabilize();
    const { host, driver } = driveMember(c, 'n2');
    // n3 lags from here on.
    c.filter = (m) => m.from !== 'n3' && m.to !== 'n3';
    // n2 takes a snapshot once it has applied index 3.
    let taken = false;
    host.snapshotWanted = (applied) => {
      const last = applied[applied.length - 1];
      if (taken || !last || last.index < 3) return undefined;
      taken = true;
      return {
        meta: { index: last.index, term: last.term, config: c.node('n2').status().config },
        data: new Uint8Array(),
      };
    };
    c.node('n1').propose(command('a'));
    c.node('n1').propose(command('b'));
    runAll(c, driver, host);
    expect(host.savingSnapshots).toHaveLength(1); // n2's own snapshot at 3 is being saved
    const own = host.savingSnapshots[0]!;
    expect(own.snapshot.meta.index).toBe(3);

    // Meanwhile n1, n4, n5 commit more and n1 compacts; n2 hears nothing but n1's snapshot.
    c.filter = (m) => m.from !== 'n3' && m.to !== 'n3' && m.to !== 'n2';
    for (const t of ['c', 'd', 'e', 'f', 'g']) c.node('n1').propose(command(t));
    c.stabilize();
    expect(c.node('n1').status().commitIndex).toBe(8);
    const leaderSnapshot: Snapshot = c.compact('n1', 8);
    const snapMsg: Message = {
      type: 'snapshot',
      from: 'n1',
      to: 'n2',
      term: c.node('n1').status().term,
      snapshot: leaderSnapshot,
    };
    c.node('n2').step(snapMsg); // what sendSnapshot would send
    own.done(); // n2's own save of the index-3 snapshot completes now
    c.filter = (m) => m.from !== 'n3' && m.to !== 'n3';
    runAll(c, driver, host);
    expect(c.node('n2').status().snapshotIndex).toBe(8);

    // n2 becomes leader (a transfer), then n3 comes back far behind.
    c.node('n1').transferLeadership('n2');
    runAll(c, driver, host);
    expect(c.node('n2').status().role).toBe('leader');
    c.heal();
    const snapshotsToN3: number[] = [];
    const origFilter = c.filter;
    c.filter = (m) => {
      if (m.type === 'snapshot' && m.to === 'n3') snapshotsToN3.push(m.snapshot.meta.index);
      return origFilter(m);
    };
    for (let i = 0; i < 30; i++) {
      c.tick('n2');
      runAll(c, driver, host);
    }
    // Every snapshot n2 offers must be one it can continue from (its log starts after 8).
    expect(snapshotsToN3.every((index) => index >= c.node('n2').status().snapshotIndex)).toBe(true);
    expect(c.node('n3').status().lastIndex).toBe(c.node('n2').status().lastIndex);
  });
});
