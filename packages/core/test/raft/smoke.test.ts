import { describe, expect, it } from 'vitest';
import { command, commandsOf, TestCluster } from './harness.js';

describe('raft smoke', () => {
  it('elects a leader and replicates a command to everyone', () => {
    const c = new TestCluster();
    for (let i = 0; i < 60 && !c.leader(); i++) {
      c.tickAll();
      c.stabilize();
    }
    const leader = c.leader();
    expect(leader).toBeDefined();
    const res = c.node(leader!).propose(command('x'));
    expect(res.ok).toBe(true);
    c.stabilize();
    for (const id of ['n1', 'n2', 'n3']) expect(commandsOf(c.stores.get(id)!.applied)).toEqual(['x']);
  });
});
