import type { MemberId } from '../../raft/types.js';
import type { RuntimeSim } from './runtime-sim.js';

/** How a call made inside a member ended: its value, its error, or the member crashed first. */
export type MemberCallOutcome<T> =
  | { readonly kind: 'done'; readonly value: T }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'crashed' };

/**
 * Runs `call` inside incarnation `incarnation` of `member` — application
 * code shares the member's event loop, so it waits out the member's pauses
 * and dies with it — and resolves with how it ended. Resolves 'crashed' at
 * once if that incarnation is gone, or when it crashes before the call
 * settles (its promise then never settles: nothing of that process runs).
 */
export function callInMember<T>(
  sim: RuntimeSim,
  member: MemberId,
  incarnation: number,
  call: () => Promise<T>,
): Promise<MemberCallOutcome<T>> {
  return new Promise((resolve) => {
    if (!sim.isRunning(member, incarnation)) {
      resolve({ kind: 'crashed' });
      return;
    }
    let settled = false;
    const finish = (outcome: MemberCallOutcome<T>) => {
      if (settled) return;
      settled = true;
      unsubscribe();
      resolve(outcome);
    };
    const unsubscribe = sim.onCrash(member, () => finish({ kind: 'crashed' }));
    sim.runOn(member, () => {
      call().then(
        (value) => finish({ kind: 'done', value }),
        (error: unknown) => finish({ kind: 'failed', error }),
      );
    });
  });
}
