import type { TimerHandle, Timers } from '../../src/env.js';

/** A monotonic clock and timers moved only by the test: `advance` runs every timer it passes, in order. */
export interface ManualTime {
  readonly clock: { now(): number };
  readonly timers: Timers;
  readonly now: number;
  advance(ms: number): void;
}

export function manualTime(startMs = 0): ManualTime {
  let now = startMs;
  let timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  return {
    clock: { now: () => now },
    timers: {
      setTimeout(fn: () => void, ms: number): TimerHandle {
        const t = { at: now + Math.max(0, ms), fn, cancelled: false };
        timers.push(t);
        return { cancel: () => (t.cancelled = true) };
      },
    },
    get now() {
      return now;
    },
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now && !t.cancelled).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => t.at > now && !t.cancelled);
      for (const t of due) if (!t.cancelled) t.fn();
    },
  };
}
