import { describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';

const three = ['n1', 'n2', 'n3'];

/** Starts a 3-member RuntimeSim whose messages `rewrite` may replace, and runs it for a few seconds; returns what it threw. */
async function runWith(rewrite: Parameters<RuntimeSim['setInterceptor']>[0]): Promise<unknown> {
  const sim = new RuntimeSim({ seed: 1, members: three });
  sim.setInterceptor(rewrite);
  try {
    for (const id of three) await sim.start(id);
    await sim.runUntil(sim.nowMs + 3000);
  } catch (error) {
    return error;
  }
  return undefined;
}

// The runtime simulator's links carry each message as the peer codec's bytes,
// decoded and validated on arrival as a member's inbound link does.
describe('the runtime simulator and the peer codec', () => {
  it('runs cleanly when nothing is rewritten', async () => {
    expect(await runWith(undefined)).toBeUndefined();
  });

  it('a message the decoder refuses on arrival fails the run with BATON_PROTOCOL', async () => {
    // Encodable, but no valid append has a previous entry from a later term than its own.
    const error = await runWith((m) => (m.type === 'append' ? { ...m, prevLogTerm: m.term + 1 } : m));
    expect(isBatonError(error, 'BATON_PROTOCOL')).toBe(true);
  });

  it("a message sent in another member's name fails the run, as the transport refuses it", async () => {
    // n2 answers heartbeats claiming to be n3: production's transport never sends that.
    const error = await runWith((m) =>
      m.type === 'heartbeatResp' && m.from === 'n2' ? { ...m, from: 'n3' } : m,
    );
    expect(error).toBeInstanceOf(Error);
  });
});
