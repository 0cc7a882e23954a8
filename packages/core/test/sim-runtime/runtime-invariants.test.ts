import { describe, expect, it } from 'vitest';
import { LeadershipToken } from '../../src/runtime/leadership-token.js';
import type { NodeLoop } from '../../src/runtime/node-loop.js';
import { LeadersByTerm } from '../../src/sim/runtime/leaders-by-term.js';
import { checkRuntimeInvariants, type InvariantView } from '../../src/sim/runtime/runtime-invariants.js';
import { LocalClock, US_PER_MS } from '../../src/sim/sim-clock.js';

/** A running member seen by the checks (not leading: only the token checks apply), its clock reading global time. */
function member(over: { incarnation?: number; pausedUntilUs?: number } = {}) {
  return {
    id: 'n1',
    loop: { status: () => ({ role: 'follower' }) } as unknown as NodeLoop,
    fatal: undefined,
    incarnation: over.incarnation ?? 1,
    clock: new LocalClock(1, 0),
    pausedUntilUs: over.pausedUntilUs ?? 0,
    stateMachine: { violation: undefined },
  };
}

/** The view at global time `nowMs`, with one unaborted token of n1's incarnation 1 whose deadline is 100 ms. */
function viewAt(nowMs: number, m: ReturnType<typeof member>): InvariantView {
  const token = new LeadershipToken(3, 100, { now: () => nowMs });
  return {
    seed: 1,
    nowMs,
    nowUs: nowMs * US_PER_MS,
    tokens: [
      {
        member: 'n1',
        incarnation: 1,
        token,
        issuedUs: 0,
        appliedIndexAtIssue: 0,
        statusAppliedIndexAtIssue: 0,
      },
    ],
    leaders: new LeadersByTerm(),
    members: [m],
  };
}

describe('runtime invariants: a token signal aborts by its deadline (DESIGN.md §2.1)', () => {
  it('accepts an unaborted token up to its deadline', () => {
    expect(() => checkRuntimeInvariants(viewAt(100, member()))).not.toThrow();
  });

  it('fails a run in which a running member’s token is still unaborted past its deadline', () => {
    expect(() => checkRuntimeInvariants(viewAt(101, member()))).toThrow(
      expect.objectContaining({ code: 'SIM_RUNTIME_INVARIANT' }),
    );
  });

  it('waits while the member is paused, and while what the pause held back runs', () => {
    expect(() =>
      checkRuntimeInvariants(viewAt(150, member({ pausedUntilUs: 200 * US_PER_MS }))),
    ).not.toThrow();
    expect(() =>
      checkRuntimeInvariants(viewAt(150, member({ pausedUntilUs: 150 * US_PER_MS + 1 }))),
    ).not.toThrow();
    expect(() => checkRuntimeInvariants(viewAt(150, member({ pausedUntilUs: 140 * US_PER_MS })))).toThrow(
      /not aborted/,
    );
  });

  it('ignores a token of an incarnation that crashed: it keeps no timer', () => {
    expect(() => checkRuntimeInvariants(viewAt(150, member({ incarnation: 2 })))).not.toThrow();
  });
});
