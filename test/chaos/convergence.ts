import type { ChaosCluster } from './chaos-cluster.js';
import { monotonicNowMs } from './chaos-protocol.js';

export type Convergence =
  | { readonly converged: true; readonly appliedIndex: number; readonly rounds: number; readonly ms: number }
  | { readonly converged: false; readonly detail: string };

/** One round's wait for a member's answer; a member that cannot reach the leader fails its read point. */
const ROUND_WAIT_MS = 10_000;

/**
 * Waits until every member has applied the same index with the same state.
 * Each round asks every member for a linearizable read point first (so it has
 * applied everything committed when asked) and then for its applied index and
 * state digest; rounds repeat while the log still moves (leases of dead
 * member lives expiring), up to `waitMs`.
 */
export async function converge(cluster: ChaosCluster, waitMs: number): Promise<Convergence> {
  const start = monotonicNowMs();
  let rounds = 0;
  let last = '';
  while (monotonicNowMs() - start < waitMs) {
    rounds++;
    const answers = await Promise.all(
      cluster.ids.map((id) =>
        cluster
          .request(id, { cmd: 'status', sync: true }, 'status', ROUND_WAIT_MS)
          .catch((error: Error) => error),
      ),
    );
    const seen = answers.map((a, i) =>
      a instanceof Error || a.ev !== 'status'
        ? `${cluster.ids[i]}: no answer`
        : `${cluster.ids[i]}: ${a.appliedIndex}/${a.digest}`,
    );
    last = seen.join(', ');
    const states = new Set(
      answers.map((a) => (a instanceof Error || a.ev !== 'status' ? 'x' : `${a.appliedIndex}/${a.digest}`)),
    );
    const first = answers[0];
    if (
      states.size === 1 &&
      !states.has('x') &&
      first !== undefined &&
      !(first instanceof Error) &&
      first.ev === 'status'
    ) {
      return { converged: true, appliedIndex: first.appliedIndex, rounds, ms: monotonicNowMs() - start };
    }
  }
  return { converged: false, detail: `members still differ after ${waitMs} ms (${rounds} rounds): ${last}` };
}
