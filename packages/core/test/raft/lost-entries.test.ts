import { describe, expect, it } from 'vitest';
import { command, TestCluster } from './harness.js';

describe('durability violations are reported, not papered over', () => {
  it('a follower whose disk lost acknowledged entries reports it on the next heartbeat', () => {
    const c = new TestCluster();
    c.elect('n1');
    for (let i = 0; i < 5; i++) c.node('n1').propose(command(`c${i}`));
    c.stabilize();
    const acked = c.store('n2').entries.length;
    expect(c.node('n2').status().lostEntries).toBeUndefined();
    // n2's disk "loses" its last two acknowledged entries; it restarts from what is left.
    c.crash('n2');
    c.store('n2').entries = c.store('n2').entries.slice(0, acked - 2);
    c.start('n2');
    c.tick('n1', 5); // heartbeat round
    c.stabilize();
    const lost = c.node('n2').status().lostEntries;
    expect(lost).toMatchObject({ leaderId: 'n1', lastIndex: acked - 2 });
    expect(lost!.commit).toBeGreaterThan(acked - 2);
  });

  it('a follower that is merely behind (never acknowledged the entries) reports nothing', () => {
    const c = new TestCluster();
    c.elect('n1');
    c.isolate('n3');
    for (let i = 0; i < 5; i++) c.node('n1').propose(command(`c${i}`));
    c.stabilize();
    c.heal();
    c.tick('n1', 5);
    c.stabilize();
    expect(c.node('n3').status().lostEntries).toBeUndefined();
    expect(c.node('n3').status().commitIndex).toBe(c.node('n1').status().commitIndex);
  });
});
