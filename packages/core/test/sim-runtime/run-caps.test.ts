import { describe, expect, it } from 'vitest';
import { RunCapExceeded, RunCaps } from '../../src/sim/runtime/runtime-invariants.js';

describe('RunCaps', () => {
  it('names the events that filled the cap, most frequent first, with the time they spanned', () => {
    const caps = new RunCaps(0x2a, 1500, 100_000);
    const spin = { label: () => 'n2 timer arm' };
    const tick = { label: () => 'n1 timer tick' };
    for (let i = 0; i < 1000; i++) caps.onEvent(1_000 * i, tick);
    for (let i = 0; i < 499; i++) caps.onEvent(3_247_000, spin);
    caps.onEvent(3_247_000, tick, true);
    let error: unknown;
    try {
      caps.onEvent(3_247_000, spin);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunCapExceeded);
    expect((error as Error).message).toBe(
      'seed=0x2a: run cap hit: over 1500 events (at 3247.000 ms, event 1501); ' +
        'the last 1000 events, over 2746.000 ms: 500 × n2 timer arm, 499 × n1 timer tick, 1 × n1 timer tick (dropped)',
    );
  });
});
