import { describe, expect, it } from 'vitest';
import { applyPersistBatch, LogWindow } from '../../src/storage/log-window.js';
import { commands, shape, snapshotAt } from './storage-test-kit.js';

describe('LogWindow', () => {
  it('appends, overwrites a suffix, and reports terms by index', () => {
    const window = new LogWindow();
    window.append(commands(1, 5, 1));
    window.append(commands(4, 4, 2));
    expect(shape(window.entries())).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
    ]);
    expect(window.termAt(0)).toBe(0);
    expect(window.termAt(4)).toBe(2);
    expect(window.termAt(5)).toBeUndefined();
  });

  it('compacts up to a snapshot of an entry it holds, and refuses one of another term', () => {
    const window = new LogWindow();
    window.append(commands(1, 5, 1));
    expect(() => window.compactTo(3, 2)).toThrow(RangeError);
    window.compactTo(3, 1);
    expect(window.baseIndex).toBe(3);
    expect(shape(window.entries())).toEqual([
      [4, 1],
      [5, 1],
    ]);
    expect(() => window.append(commands(3, 3, 1))).toThrow(RangeError);
  });

  it('applyPersistBatch is all or nothing: a bad entry after a snapshot leaves the window untouched', () => {
    const window = new LogWindow();
    window.append(commands(1, 5, 1));
    expect(() =>
      applyPersistBatch(window, { snapshot: snapshotAt(8, 2), entries: commands(10, 10, 2), sync: true }),
    ).toThrow(RangeError);
    expect(window.baseIndex).toBe(0);
    expect(window.lastIndex).toBe(5);
    const applied = applyPersistBatch(window, {
      snapshot: snapshotAt(8, 2),
      entries: commands(9, 9, 2),
      sync: true,
    });
    expect(applied.logDiscarded).toBe(true);
    expect(shape(applied.window.entries())).toEqual([[9, 2]]);
  });
});
