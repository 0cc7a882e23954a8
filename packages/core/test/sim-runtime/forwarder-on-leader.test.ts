import { describe, expect, it } from 'vitest';
import type { Env, TimerHandle } from '../../src/env.js';
import { silentLogger } from '../../src/env.js';
import { Forwarder } from '../../src/runtime/forwarder.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';

const three = ['n1', 'n2', 'n3'];

/** Timers on the simulation's global clock, fired by hand after each run of the simulation. */
function manualEnv(sim: RuntimeSim): { env: Env; fireDue: () => void } {
  const timers: { atMs: number; fn: () => void; cancelled: boolean }[] = [];
  const env: Env = {
    clock: { now: () => sim.nowMs },
    timers: {
      setTimeout(fn, delayMs): TimerHandle {
        const t = { atMs: sim.nowMs + delayMs, fn, cancelled: false };
        timers.push(t);
        return { cancel: () => (t.cancelled = true) };
      },
    },
    random: () => 0.5,
    newId: () => `req-${timers.length}`,
  };
  const fireDue = () => {
    for (const t of timers.splice(0)) {
      if (t.cancelled) continue;
      if (t.atMs <= sim.nowMs) t.fn();
      else timers.push(t);
    }
  };
  return { env, fireDue };
}

/**
 * On the leader, Forwarder.submit appends locally: its wait for the entry must
 * still honour `timeoutMs` and `signal` (DESIGN §1: waiting calls accept an
 * AbortSignal). A leader that appends and then loses its quorum steps down;
 * its entry stays uncommitted for as long as the partition lasts.
 */
describe('a proposal made on a leader that then loses its quorum', () => {
  it('fails within timeoutMs, and at once when its signal aborts', async () => {
    const sim = new RuntimeSim({ seed: 11, members: three });
    for (const id of three) await sim.start(id);
    expect(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000)).toBe(true);
    const leaderId = sim.validHolders()[0]!;
    const loop = sim.loop(leaderId)!;
    const { env, fireDue } = manualEnv(sim);
    const forwarder = new Forwarder({
      loop,
      env,
      send: () => true,
      logger: silentLogger,
      answerTimeoutMs: 1000,
      pendingMax: 16,
      readRetryMs: 300,
      unsentRetryMs: 50,
    });
    sim.partition(
      [leaderId],
      three.filter((id) => id !== leaderId),
    );
    const controller = new AbortController();
    let outcome = 'pending';
    void forwarder.submit(Uint8Array.of(1, 2, 3), { timeoutMs: 500, signal: controller.signal }).then(
      () => (outcome = 'resolved'),
      (e: { code?: string }) => (outcome = e.code ?? 'rejected'),
    );
    await sim.runUntil(sim.nowMs + 100);
    controller.abort();
    for (let i = 0; i < 20; i++) {
      await sim.runUntil(sim.nowMs + 100);
      fireDue();
      await new Promise((resolve) => setImmediate(resolve));
    }
    // 2 s of virtual time later: the old leader stepped down long ago.
    expect(loop.status().role).not.toBe('leader');
    expect(['BATON_ABORTED', 'BATON_UNAVAILABLE']).toContain(outcome);
  });
});
