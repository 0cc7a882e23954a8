import { describe, expect, it } from 'vitest';
import { InvariantViolation } from '../../src/sim/invariant-violation.js';
import { replayCommand, runSeed } from '../../src/sim/run-seed.js';
import { Simulator } from '../../src/sim/simulator.js';

const SHORT = { safetyTicks: 300, livenessTicksMax: 400 } as const;

describe('Simulator determinism', () => {
  it('replays a seed exactly: same trace hash, same event count', () => {
    const a = new Simulator({ seed: 0x5eed, members: 3, ...SHORT }).run();
    const b = new Simulator({ seed: 0x5eed, members: 3, ...SHORT }).run();
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.events).toBe(a.events);
    expect(b.acked).toBe(a.acked);
    expect(a.events).toBeGreaterThan(1000);
  });

  it('gives different runs for different seeds', () => {
    const a = new Simulator({ seed: 1, members: 3, ...SHORT }).run();
    const b = new Simulator({ seed: 2, members: 3, ...SHORT }).run();
    expect(b.traceHash).not.toBe(a.traceHash);
  });

  it('runs only once per Simulator', () => {
    const sim = new Simulator({ seed: 3, safetyTicks: 10 });
    sim.run();
    expect(() => sim.run()).toThrow(Error);
  });
});

describe('Simulator scripting API', () => {
  it('elects a leader, commits a proposal and acknowledges it on every member', () => {
    const sim = new Simulator({ seed: 7, members: 5 });
    expect(sim.runUntil(() => sim.leader() !== undefined, { ticksMax: 200 })).toBe(true);
    const leader = sim.leader() as string;
    const result = sim.propose(leader, 'hello');
    expect(result?.ok).toBe(true);
    const index = result?.ok ? result.index : -1;
    const everywhere = (): boolean =>
      sim.ids.every((id) => (sim.member(id).stateMachine()?.appliedIndex ?? 0) >= index);
    expect(sim.runUntil(everywhere, { ticksMax: 50 })).toBe(true);
    expect(sim.client.ackedIndex('hello')).toBe(index);
    expect(sim.checkers.apply.appliedAt(index)?.termKey).toBe(`${result?.ok ? result.term : 0}|cmd:hello`);
  });

  it('returns notLeader on a follower and undefined on a crashed member', () => {
    const sim = new Simulator({ seed: 8 });
    sim.runUntil(() => sim.leader() !== undefined, { ticksMax: 200 });
    const follower = sim.ids.find((id) => id !== sim.leader()) as string;
    expect(sim.propose(follower, 'x')).toEqual({ ok: false, reason: 'notLeader' });
    sim.crash(follower);
    expect(sim.isUp(follower)).toBe(false);
    expect(sim.propose(follower, 'y')).toBeUndefined();
    sim.restart(follower);
    expect(sim.isUp(follower)).toBe(true);
  });

  it('runUntil gives up after its tick budget and still advances time', () => {
    const sim = new Simulator({ seed: 9 });
    const before = sim.nowUs;
    expect(sim.runUntil(() => false, { ticksMax: 3 })).toBe(false);
    expect(sim.nowUs).toBe(before + 3 * sim.tickUs);
  });

  it('reports a failed run with the seed, the invariant, a replay command and the trace tail', () => {
    // No leader can be elected within one tick of booting: the liveness phase must fail.
    const outcome = runSeed({ seed: 0x2a, members: 3, safetyTicks: 0, livenessTicksMax: 1 }, 20);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.invariant).toBe('liveness');
    expect(outcome.error).toBeInstanceOf(InvariantViolation);
    expect(outcome.report).toContain('seed=0x2a');
    expect(outcome.report).toContain(replayCommand(0x2a, 3));
    expect(outcome.report).toContain('pnpm sim --seed 0x2a --members 3');
    expect(outcome.report.split('\n').length).toBeGreaterThan(5);
  });
});

describe('Simulator input turns', () => {
  /** Sizes of the appends with entries the leader sends after three proposals made at one instant. */
  function appendsAfterBurst(inputTurns: boolean): number[] {
    const sim = new Simulator({
      seed: 11,
      members: 3,
      inputTurns,
      turnWindowUsMax: 0,
      raft: { entriesPerMessageMax: 256, inflightMessagesMax: 256 },
    });
    expect(sim.runUntil(() => sim.leader() !== undefined, { ticksMax: 200 })).toBe(true);
    sim.runFor(5); // the followers acknowledged the leader's first entry: it streams to them
    const leader = sim.leader() as string;
    const sizes: number[] = [];
    sim.network.setInterceptor((m) => {
      if (m.type === 'append' && m.entries.length > 0) sizes.push(m.entries.length);
      return m;
    });
    for (const text of ['a', 'b', 'c']) sim.propose(leader, text);
    sim.runFor(5);
    return sizes;
  }

  it('inputs of one instant share a turn, so a burst of proposals travels in one append per follower', () => {
    expect(appendsAfterBurst(true)).toEqual([3, 3]);
    // Driven after every input, each proposal leaves on its own: nothing is left to merge with.
    expect(appendsAfterBurst(false)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});
