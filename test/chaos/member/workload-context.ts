import type { Cluster } from '@baton/core';
import type { Rng } from '../../../packages/core/src/sim/rng.js';
import type { ChaosMemberConfig } from '../chaos-protocol.js';
import type { StoreClient } from './store-client.js';

/** What every workload loop of a member gets. */
export interface WorkloadContext {
  readonly cluster: Cluster;
  readonly config: ChaosMemberConfig;
  /** This loop's own random stream (seeded from the run's seed, the member, its life and the loop). */
  readonly rng: Rng;
  readonly store: StoreClient;
  /** Aborts when the harness quiesces the member: loops finish their current operation and end. */
  readonly quiesce: AbortSignal;
}

/** A pause between two operations drawn from the config's gap. */
export function gapMs(context: WorkloadContext): number {
  const [lo, hi] = context.config.workload.gapMs;
  return context.rng.int(lo, hi);
}
