import { describe, expect, it } from 'vitest';
import { Trace } from '../../src/sim/trace.js';

describe('Trace', () => {
  it('keeps only the last linesMax lines, oldest first, with their time', () => {
    const trace = new Trace(3);
    for (let i = 1; i <= 5; i++) trace.add(i * 1500, `event ${i}`);
    expect(trace.count).toBe(5);
    expect(trace.tail()).toEqual(['4.500 event 3', '6.000 event 4', '7.500 event 5']);
    expect(trace.tail(1)).toEqual(['7.500 event 5']);
  });

  it('fingerprints every line ever added, in order', () => {
    const a = new Trace(2);
    const b = new Trace(2);
    const c = new Trace(2);
    for (const t of [a, b])
      ['x', 'y', 'z'].forEach((line, i) => {
        t.add(i, line);
      });
    ['y', 'x', 'z'].forEach((line, i) => {
      c.add(i, line);
    });
    expect(a.hash()).toBe(b.hash());
    expect(a.hash()).not.toBe(c.hash());
    const d = new Trace(2);
    ['q', 'y', 'z'].forEach((line, i) => {
      d.add(i, line);
    });
    // Same tail, different history: the hash still differs.
    expect(d.tail()).toEqual(a.tail());
    expect(d.hash()).not.toBe(a.hash());
  });
});
