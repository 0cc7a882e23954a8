import { describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '../../src/raft/types.js';
import { SimStateMachine } from '../../src/sim/sim-state-machine.js';

const enc = new TextEncoder();
const cmd = (index: number, term: number, text: string): Entry => ({
  type: 'command',
  index,
  term,
  data: enc.encode(text),
});

describe('SimStateMachine', () => {
  it('reaches the same state from the same history and a different one otherwise', () => {
    const a = SimStateMachine.restore(undefined);
    const b = SimStateMachine.restore(undefined);
    const c = SimStateMachine.restore(undefined);
    for (const sm of [a, b])
      [cmd(1, 1, 'x'), cmd(2, 1, 'y')].forEach((e) => {
        sm.apply(e);
      });
    [cmd(1, 1, 'x'), cmd(2, 2, 'y')].forEach((e) => {
      c.apply(e);
    });
    expect(a.stateHash).toBe(b.stateHash);
    expect(a.stateHash).not.toBe(c.stateHash);
    expect(a.applied.map((r) => r.key)).toEqual(['cmd:x', 'cmd:y']);
  });

  it('refuses entries out of order', () => {
    const sm = SimStateMachine.restore(undefined);
    sm.apply(cmd(1, 1, 'x'));
    expect(() => sm.apply(cmd(3, 1, 'z'))).toThrow(
      expect.objectContaining({ invariant: 'state-machine-safety' }),
    );
  });

  it('restores from its own snapshot data and continues identically', () => {
    const original = SimStateMachine.restore(undefined);
    original.apply(cmd(1, 1, 'x'));
    original.apply(cmd(2, 1, 'y'));
    const snapshot: Snapshot = {
      meta: { index: 2, term: 1, config: { voters: ['n1'], learners: [], addresses: {} } },
      data: original.takeSnapshotData(),
    };
    expect(original.applied).toEqual([]);
    const restored = SimStateMachine.restore(snapshot);
    expect(restored.appliedIndex).toBe(2);
    expect(restored.stateHash).toBe(original.stateHash);
    original.apply(cmd(3, 2, 'z'));
    restored.apply(cmd(3, 2, 'z'));
    expect(restored.stateHash).toBe(original.stateHash);
  });

  it('keeps at most recordsMax applied records', () => {
    const sm = SimStateMachine.restore(undefined, 2);
    for (let i = 1; i <= 5; i++) sm.apply(cmd(i, 1, `v${i}`));
    expect(sm.applied.map((r) => r.index)).toEqual([4, 5]);
  });
});
