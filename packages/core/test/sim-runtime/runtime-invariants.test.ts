import { describe, expect, it } from 'vitest';
import { LeadershipToken } from '../../src/runtime/leadership-token.js';
import type { NodeLoop } from '../../src/runtime/node-loop.js';
import { LeadersByTerm } from '../../src/sim/runtime/leaders-by-term.js';
import { checkRuntimeInvariants, type InvariantView } from '../../src/sim/runtime/runtime-invariants.js';
import { LocalClock, US_PER_MS } from '../../src/sim/sim-clock.js';

/** Its local clock: 5 % fast and 5 s ahead of global time, so a check reading global time would be wrong. */
const CLOCK = new LocalClock(1.05, 5000);

/** The global time, ms, at which the member's clock reads `localMs`. */
function globalMsAt(localMs: number): number {
  return CLOCK.globalUs(localMs) / US_PER_MS;
}

/** A running member seen by the checks (not leading: only the token checks apply). */
function member(over: { incarnation?: number; pausedUntilUs?: number; crashed?: boolean } = {}) {
  return {
    id: 'n1',
    loop: over.crashed ? undefined : ({ status: () => ({ role: 'follower' }) } as unknown as NodeLoop),
    fatal: undefined,
    incarnation: over.incarnation ?? 1,
    clock: CLOCK,
    pausedUntilUs: over.pausedUntilUs ?? 0,
    stateMachine: { violation: undefined },
  };
}

/**
 * The view at global time `nowMs`, with one token of n1's incarnation 1
 * whose deadline is local 6000 ms (aborted first when `aborted`).
 */
function viewAt(nowMs: number, m: ReturnType<typeof member>, aborted = false): InvariantView {
  const token = new LeadershipToken(3, DEADLINE, { now: () => CLOCK.localMs(nowMs * US_PER_MS) });
  if (aborted) token.abort('lease-expired');
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

const DEADLINE = 6000;
/** Global ms: the deadline, and 0.02 ms (local) past it. */
const AT_DEADLINE = globalMsAt(DEADLINE);
const LATE = globalMsAt(DEADLINE + 0.02);
const violationOf = expect.objectContaining({ code: 'SIM_RUNTIME_INVARIANT' });

describe('runtime invariants: a token signal aborts by its deadline (DESIGN.md §2.1)', () => {
  it('accepts an unaborted token up to its deadline on the member’s own clock', () => {
    expect(() => checkRuntimeInvariants(viewAt(AT_DEADLINE, member()))).not.toThrow();
  });

  it('fails a run in which a running member’s token is still unaborted 0.02 ms past its deadline', () => {
    expect(() => checkRuntimeInvariants(viewAt(LATE, member()))).toThrow(violationOf);
  });

  it('accepts an aborted token past its deadline', () => {
    expect(() => checkRuntimeInvariants(viewAt(LATE + 10, member(), true))).not.toThrow();
  });

  it('waits while the member is paused and during the microsecond after, not longer', () => {
    const nowUs = Math.ceil(LATE * US_PER_MS) + 100;
    const at = nowUs / US_PER_MS;
    expect(() => checkRuntimeInvariants(viewAt(at, member({ pausedUntilUs: nowUs + 5000 })))).not.toThrow();
    expect(() => checkRuntimeInvariants(viewAt(at, member({ pausedUntilUs: nowUs - 1 })))).not.toThrow();
    expect(() => checkRuntimeInvariants(viewAt(at, member({ pausedUntilUs: nowUs - 2 })))).toThrow(
      violationOf,
    );
  });

  it('ignores a token of an incarnation that crashed, and a member that is down: no timer is left', () => {
    expect(() => checkRuntimeInvariants(viewAt(LATE + 10, member({ incarnation: 2 })))).not.toThrow();
    expect(() => checkRuntimeInvariants(viewAt(LATE + 10, member({ crashed: true })))).not.toThrow();
  });
});
