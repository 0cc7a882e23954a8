import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/sim/rng.js';
import { memberEnv, type SimJob } from '../../src/sim/runtime/member-env.js';
import { LocalClock, SimClock } from '../../src/sim/sim-clock.js';

/** A member Env over a queue of its own: `next()` runs the earliest timer and says when it ran. */
function harness(clock: LocalClock, startUs: number) {
  const global = new SimClock();
  global.advanceTo(startUs);
  const queue: { atUs: number; job: SimJob }[] = [];
  const env = memberEnv(
    clock,
    global,
    Rng.fromSeed(1),
    (atUs, job) => queue.push({ atUs, job }),
    () => 'id',
  );
  const next = (): number | undefined => {
    queue.sort((a, b) => a.atUs - b.atUs);
    const due = queue.shift();
    if (!due) return undefined;
    global.advanceTo(due.atUs);
    due.job.run();
    return due.atUs;
  };
  return { env, next };
}

describe('memberEnv timers', () => {
  it('fire no earlier than their delay on the member clock, so a wait re-armed until a deadline ends', () => {
    // The runtime's waits re-arm until the member's clock reaches their deadline (lock waits, lease
    // and leadership expiry). At rate 0.95, 1102 local ms are a whole number of global µs, and the
    // float round trip can land a hair short of the deadline: the wait would then re-arm for that
    // same instant again and again, and a run fill its event cap without time moving.
    const { env, next } = harness(new LocalClock(0.95, 942.5136423669755), 4_123_790);
    const deadline = env.clock.now() + 1102;
    let firings = 0;
    const arm = () => {
      const ms = deadline - env.clock.now();
      if (ms > 0) env.timers.setTimeout(arm, ms);
    };
    arm();
    while (next() !== undefined && firings < 10) firings++;
    expect(firings).toBe(1);
    expect(env.clock.now()).toBeGreaterThanOrEqual(deadline);
  });

  it('fire at the instant they are due, for a zero delay too', () => {
    const { env, next } = harness(new LocalClock(1.05, 100), 5_000);
    env.timers.setTimeout(() => {}, 0);
    expect(next()).toBe(5_000);
    env.timers.setTimeout(() => {}, 2.1);
    expect(next()).toBe(7_000);
  });
});
