import type { MemberId } from './types.js';

/** Tuning of one Raft core. Time is counted in ticks; the driver decides how long a tick is. */
export interface RaftOptions {
  /** This member's id. */
  readonly id: MemberId;
  /** Voters of the initial configuration, used only when storage holds no configuration yet. */
  readonly initialVoters: readonly MemberId[];
  /** Ticks between leader heartbeats. */
  readonly heartbeatTicks: number;
  /**
   * The minimum election timeout in ticks. A follower campaigns after a random
   * timeout in [electionTicks, electionTicksMax); it refuses (pre-)votes while
   * it has heard from a live leader within electionTicks (leader stickiness);
   * a leader steps down if it has not heard from a quorum within electionTicks
   * (CheckQuorum).
   */
  readonly electionTicks: number;
  /** Exclusive upper bound of the randomized election timeout, in ticks. */
  readonly electionTicksMax: number;
  /** Uniform random number in [0, 1); the only randomness the core uses. */
  readonly random: () => number;
  /**
   * Ticks added to the low end of the randomized election timeout. A margin
   * of a couple of ticks lets the other followers' stickiness windows — begun
   * when they heard the same last heartbeat, a little earlier or later, and
   * ticking out of phase with ours — end before our pre-vote reaches them;
   * otherwise a pre-vote sent on the first possible tick is refused and the
   * election waits a whole extra timeout. Default 0.
   */
  readonly campaignMarginTicks?: number;
  /** Pre-vote before a real campaign (dissertation §9.6). Default true. */
  readonly preVote?: boolean;
  /** Leader steps down without a quorum's contact in an election timeout. Default true. */
  readonly checkQuorum?: boolean;
  /** Most entries in one append message. */
  readonly entriesPerMessageMax?: number;
  /** Most payload bytes in one append message (at least one entry is always sent). */
  readonly bytesPerMessageMax?: number;
  /** Most append messages in flight to one follower. */
  readonly inflightMessagesMax?: number;
  /** Most proposals the leader holds uncommitted before it refuses new ones. */
  readonly uncommittedEntriesMax?: number;
}

export interface ResolvedRaftOptions extends Required<RaftOptions> {}

export function resolveRaftOptions(options: RaftOptions): ResolvedRaftOptions {
  const resolved: ResolvedRaftOptions = {
    campaignMarginTicks: 0,
    preVote: true,
    checkQuorum: true,
    entriesPerMessageMax: 256,
    bytesPerMessageMax: 1024 * 1024,
    inflightMessagesMax: 256,
    uncommittedEntriesMax: 16 * 1024,
    ...options,
  };
  if (!(resolved.heartbeatTicks >= 1)) throw new RangeError('heartbeatTicks must be >= 1');
  if (!(resolved.electionTicks > resolved.heartbeatTicks)) {
    throw new RangeError('electionTicks must be greater than heartbeatTicks');
  }
  if (!(resolved.electionTicksMax > resolved.electionTicks)) {
    throw new RangeError('electionTicksMax must be greater than electionTicks');
  }
  return Object.freeze(resolved);
}
