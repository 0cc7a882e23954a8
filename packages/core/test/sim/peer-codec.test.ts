import { describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import type { Message } from '../../src/raft/types.js';
import { awaitLeader, proposeOk, scenario } from './scenario-helpers.js';

/** What `run` threw, or undefined. */
function errorWithin(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

// The simulated network carries each message as the bytes production's peer
// codec makes of it and decodes them on arrival, so the core sees what a real
// member would, and a message the codec refuses fails the run.
describe('the simulated network and the peer codec', () => {
  it('a message the decoder refuses on arrival fails the run with BATON_PROTOCOL', () => {
    const sim = scenario(1, 3);
    const leader = awaitLeader(sim);
    // Encodable, but no valid append has a previous entry from a later term than its own.
    sim.network.setInterceptor((m: Message) => (m.type === 'append' ? { ...m, prevLogTerm: m.term + 1 } : m));
    const error = errorWithin(() => {
      proposeOk(sim, leader, 'x');
      sim.runFor(20);
    });
    expect(isBatonError(error, 'BATON_PROTOCOL')).toBe(true);
  });

  it("a message that arrives in another member's name fails the run, as the inbound link refuses it", () => {
    const sim = scenario(1, 3);
    const leader = awaitLeader(sim);
    const [a, b] = sim.ids.filter((id) => id !== leader) as [string, string];
    sim.network.setInterceptor((m: Message) =>
      m.type === 'heartbeatResp' && m.from === a ? { ...m, from: b } : m,
    );
    expect(errorWithin(() => sim.runFor(20))).toBeInstanceOf(Error);
  });

  it('a message the encoder cannot represent fails the run when sent', () => {
    const sim = scenario(1, 3);
    awaitLeader(sim);
    sim.network.setInterceptor((m: Message) => (m.type === 'heartbeat' ? { ...m, commit: -1 } : m));
    expect(
      isBatonError(
        errorWithin(() => sim.runFor(20)),
        'BATON_PROTOCOL',
      ),
    ).toBe(true);
  });
});
