import { safeLeaseMs } from '../raft/leader-lease.js';
import type { RaftOptions } from '../raft/raft-options.js';
import type { Rng } from './rng.js';
import { type NetworkFaults, RELIABLE_NETWORK } from './sim-network.js';

/** Raft tuning the simulator passes through to every member. */
export type SimRaftOptions = Pick<
  RaftOptions,
  | 'campaignMarginTicks'
  | 'preVote'
  | 'checkQuorum'
  | 'entriesPerMessageMax'
  | 'bytesPerMessageMax'
  | 'inflightMessagesMax'
  | 'uncommittedEntriesMax'
>;

/** How to set up a simulation. Everything left out is a default or is drawn from the seed. */
export interface SimulatorOptions {
  /** Every random choice of the run follows from this (a safe integer; printed as 0x…). */
  readonly seed: number;
  /** Cluster size, 1 to 9 (3 or 5 in practice). Default 3. */
  readonly members?: number;
  /** One tick of a member's local clock, ms. Default 10. */
  readonly tickMs?: number;
  readonly heartbeatTicks?: number;
  readonly electionTicks?: number;
  readonly electionTicksMax?: number;
  /** Members' clock rates differ from 1 by at most this. Default 0.05. */
  readonly driftMax?: number;
  /** Fixed clock rates, one per member in id order (each within 1 ± driftMax). Default: drawn from the seed. */
  readonly clockRates?: readonly number[];
  /** The drift bound the leader lease is computed with. Default `driftMax`. */
  readonly leaseDriftBound?: number;
  /**
   * Whether a member's inputs share turns, as in NodeLoop, whose driver runs
   * in a microtask after every input of a turn of the event loop: proposals
   * and answers stepped before that pump leave together, so the core merges
   * a turn's new entries into the append still queued for each follower.
   * Off: the driver runs after every input. Default: drawn from the seed.
   */
  readonly inputTurns?: boolean;
  /**
   * With `inputTurns`, a turn's pump comes at a uniform delay in
   * [0, turnWindowUsMax] µs after its first input; every input of the member
   * until then joins the turn (0: only inputs at the same instant). Stands
   * for a busy event loop, and for any point at which a driver may take the
   * Ready: the core must be correct whenever that is. Default: drawn from the seed.
   */
  readonly turnWindowUsMax?: number;
  /** Members snapshot every this many applied entries (0 never). Default: drawn from the seed. */
  readonly snapshotEvery?: number;
  /** The network at the start (the safety phase varies it). Default RELIABLE_NETWORK. */
  readonly network?: NetworkFaults;
  /** fsync latency bounds, µs. Default 100..2000. */
  readonly fsyncMinUs?: number;
  readonly fsyncMaxUs?: number;
  readonly raft?: SimRaftOptions;
  /** Length of the safety phase of `run()`, in ticks. Default 1500. */
  readonly safetyTicks?: number;
  /** Budget of the liveness phase of `run()`, in ticks. Default 400. */
  readonly livenessTicksMax?: number;
  /** Trace lines kept for failure reports. Default 200. */
  readonly traceLinesMax?: number;
}

export interface ResolvedSimulatorOptions extends Required<Omit<SimulatorOptions, 'raft' | 'clockRates'>> {
  readonly raft: SimRaftOptions;
  readonly clockRates: readonly number[] | undefined;
}

/** Snapshot intervals the seed chooses from: often, now and then, rarely, never. */
const SNAPSHOT_EVERY_CHOICES = [3, 8, 25, 100, 0] as const;

/** A fast LAN: tens of microseconds, where lease and election races are tightest. */
export const FAST_NETWORK: NetworkFaults = Object.freeze({
  dropRate: 0,
  duplicateRate: 0,
  delayMinUs: 10,
  delayMaxUs: 150,
  slowRate: 0,
  slowDelayMaxUs: 150,
  fifo: true,
});

/**
 * Fills in defaults; `rng` draws what the options leave to the seed — the
 * timing profile (heartbeat and election spread), the clocks (spread over the
 * drift range, or all at its extremes), the network and disk speed, the
 * snapshot interval, the replication batch and window sizes, whether inputs
 * share turns. Every draw happens whether or not an option overrides
 * it, so overriding one option does not change the others. Throws RangeError
 * on nonsense.
 */
export function resolveSimulatorOptions(options: SimulatorOptions, rng: Rng): ResolvedSimulatorOptions {
  const driftMax = options.driftMax ?? 0.05;
  const members = options.members ?? 3;
  const electionTicks = options.electionTicks ?? 10;
  const drawn = {
    heartbeatTicks: rng.pick([1, 2, 3]),
    // A spread of 1 tick would leave no randomness at all, and split votes could repeat forever.
    electionSpread: rng.pick([2, 3, electionTicks]),
    extremeClocks: rng.chance(0.5),
    clockSigns: Array.from({ length: 9 }, () => rng.chance(0.5)),
    fastNetwork: rng.chance(0.3),
    fastDisk: rng.chance(0.3),
    snapshotEvery: rng.pick(SNAPSHOT_EVERY_CHOICES),
    // Small batches and windows split a new leader's entries from older ones across messages.
    entriesPerMessageMax: rng.pick([1, 4, 256]),
    inflightMessagesMax: rng.pick([1, 4, 256]),
    // Production campaigns two ticks past the stickiness window; 0 (the core's default) is the tightest race.
    campaignMarginTicks: rng.pick([0, 2, 2]),
    // Drawn last, so that every draw above is the same as before turns existed.
    inputTurns: rng.chance(0.5),
    turnWindowUsMax: rng.pick([0, 200, 2_000]),
  };
  const resolved: ResolvedSimulatorOptions = {
    seed: options.seed,
    members,
    tickMs: options.tickMs ?? 10,
    heartbeatTicks: options.heartbeatTicks ?? drawn.heartbeatTicks,
    electionTicks,
    electionTicksMax: options.electionTicksMax ?? electionTicks + drawn.electionSpread,
    driftMax,
    clockRates:
      options.clockRates?.slice() ??
      (drawn.extremeClocks
        ? drawn.clockSigns.slice(0, members).map((fast) => 1 + (fast ? driftMax : -driftMax))
        : undefined),
    leaseDriftBound: options.leaseDriftBound ?? driftMax,
    inputTurns: options.inputTurns ?? drawn.inputTurns,
    turnWindowUsMax: options.turnWindowUsMax ?? drawn.turnWindowUsMax,
    snapshotEvery: options.snapshotEvery ?? drawn.snapshotEvery,
    network: options.network ?? (drawn.fastNetwork ? FAST_NETWORK : RELIABLE_NETWORK),
    fsyncMinUs: options.fsyncMinUs ?? (drawn.fastDisk ? 5 : 100),
    fsyncMaxUs: options.fsyncMaxUs ?? (drawn.fastDisk ? 60 : 2000),
    raft: {
      campaignMarginTicks: drawn.campaignMarginTicks,
      entriesPerMessageMax: drawn.entriesPerMessageMax,
      inflightMessagesMax: drawn.inflightMessagesMax,
      ...options.raft,
    },
    safetyTicks: options.safetyTicks ?? 1500,
    livenessTicksMax: options.livenessTicksMax ?? 400,
    traceLinesMax: options.traceLinesMax ?? 200,
  };
  checkResolved(resolved);
  return Object.freeze(resolved);
}

function checkResolved(r: ResolvedSimulatorOptions): void {
  if (!(Number.isSafeInteger(r.members) && r.members >= 1 && r.members <= 9)) {
    throw new RangeError(`members must be 1..9: ${r.members}`);
  }
  if (!(r.tickMs > 0)) throw new RangeError(`tickMs must be > 0: ${r.tickMs}`);
  if (!(r.fsyncMinUs >= 1 && r.fsyncMaxUs >= r.fsyncMinUs)) {
    throw new RangeError('need 1 <= fsyncMinUs <= fsyncMaxUs');
  }
  const rates = r.clockRates;
  if (rates && (rates.length !== r.members || rates.some((x) => Math.abs(x - 1) > r.driftMax + 1e-12))) {
    throw new RangeError('clockRates needs one rate per member, each within 1 ± driftMax');
  }
  if (!(r.leaseDriftBound >= 0 && r.leaseDriftBound < 1))
    throw new RangeError('leaseDriftBound must be in [0, 1)');
  if (!(Number.isSafeInteger(r.turnWindowUsMax) && r.turnWindowUsMax >= 0))
    throw new RangeError(`turnWindowUsMax must be an integer >= 0: ${r.turnWindowUsMax}`);
  if (!(r.safetyTicks >= 0 && r.livenessTicksMax >= 1))
    throw new RangeError('phase lengths must be positive');
}

/** A one-line description of the drawn setup, for traces and failure reports. */
export function describeOptions(o: ResolvedSimulatorOptions): string {
  return (
    `members=${o.members} hb=${o.heartbeatTicks} election=[${o.electionTicks},${o.electionTicksMax}) ` +
    `delay=${o.network.delayMinUs}..${o.network.delayMaxUs}us fsync=${o.fsyncMinUs}..${o.fsyncMaxUs}us ` +
    `snapshotEvery=${o.snapshotEvery} batch=${o.raft.entriesPerMessageMax} inflight=${o.raft.inflightMessagesMax} margin=${o.raft.campaignMarginTicks} ` +
    `turns=${o.inputTurns ? `0..${o.turnWindowUsMax}us` : 'off'}`
  );
}

/**
 * The leader lease length members use, on their own clocks:
 * (electionTicks − 1) × tickMs × (1 − δ) / (1 + δ), the bound of
 * raft/leader-lease.ts — a follower's clock may run at 1 + δ while the
 * leader's runs at 1 − δ (finding F2 of the simulator).
 */
export function leaseMsFor(o: ResolvedSimulatorOptions): number {
  const drift = o.leaseDriftBound;
  return safeLeaseMs(o.electionTicks, o.tickMs, drift);
}
