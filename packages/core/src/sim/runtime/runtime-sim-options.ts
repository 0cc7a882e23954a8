import type { MemberId } from '../../raft/types.js';
import type { LeadershipToken } from '../../runtime/leadership-token.js';

/** How a RuntimeSim is set up: members, network, timing, clocks, caps. Everything else comes from `seed`. */
export interface RuntimeSimOptions {
  readonly seed: number;
  readonly members: readonly MemberId[];
  /** Bound on each member's clock-rate error (default 0.05, as the runtime assumes). */
  readonly driftBound?: number;
  /** One-way network delay range, ms. */
  readonly delayMs?: readonly [number, number];
  /** Probability that a message is lost. */
  readonly dropRate?: number;
  /** Cluster timing, as Cluster.start takes it (defaults are the production defaults). */
  readonly heartbeatMs?: number;
  readonly electionTimeoutMs?: readonly [number, number];
  /**
   * What a member runs first when a pause ends: the timers that fell due
   * during it, or the I/O (messages, disk completions) that arrived. Node
   * does either, depending on the libuv phase the stall happened in (a stall
   * inside an I/O callback finishes the poll phase before the next timers
   * phase). Default 'random': drawn from the seed for every pause.
   */
  readonly afterPause?: 'timers-first' | 'io-first' | 'random';
  /**
   * Put clock rates at the drift bound's extremes (a third of members fast, a
   * third slow, the rest in between), where lease bugs live; default false:
   * every rate uniform within the bound.
   */
  readonly extremeClocks?: boolean;
  /** Take a snapshot after this many applied entries (default: the production default). */
  readonly snapshotEntries?: number;
  /** Most events one run may take; past it the run fails with RunCapExceeded (default 1,000,000). */
  readonly eventsMax?: number;
  /** Most virtual time one run may reach, ms; past it the run fails with RunCapExceeded (default 600,000). */
  readonly virtualMsMax?: number;
}

/** A token issued to a member, with the global times it was issued and (once) lost. */
export interface TokenRecord {
  readonly member: MemberId;
  /** The member's incarnation that got it: a crashed incarnation's token keeps no timer. */
  readonly incarnation: number;
  readonly token: LeadershipToken;
  readonly issuedUs: number;
  /** The last index the member's state machine had applied when the token reached it. */
  readonly appliedIndexAtIssue: number;
  /** What the member's `status().appliedIndex` said then (must agree with the state machine). */
  readonly statusAppliedIndexAtIssue: number;
}
