/**
 * The line protocol between the test harness (process-cluster.ts) and a
 * child-process member (member-process.ts): one JSON object per line, events
 * on the child's stdout, commands on its stdin.
 *
 * Every event carries `at`: milliseconds on CLOCK_MONOTONIC
 * (`process.hrtime.bigint()`), which all processes of the machine share, so
 * the harness can order and compare instants observed by different members.
 */

import type { CoordinationCommand, CoordinationEventBody } from './coordination-protocol.js';

/** The environment variable holding a member's {@link MemberConfig} as JSON. */
export const MEMBER_CONFIG_ENV = 'BATON_TEST_MEMBER_CONFIG';

/** What a child member starts with. */
export interface MemberConfig {
  readonly id: string;
  readonly members: Readonly<Record<string, string>>;
  readonly dataDir: string;
  readonly secret: string;
  readonly heartbeatMs?: number;
  readonly electionTimeoutMs?: readonly [number, number];
  readonly maxFrameBytes?: number;
  /** pino level of the member's log on stderr (default 'info'). */
  readonly logLevel?: string;
  /** How often token.valid is polled (default 2 ms). */
  readonly validPollMs?: number;
  /** How often a still-valid token is reported (default 10 ms). */
  readonly validReportMs?: number;
  /** Run a runOnLeader job that reports its own validity runs ('job-valid', 'job-seen', 'job-end'). */
  readonly leaderJob?: boolean;
  /**
   * Run the default coordination state machine (leases, locks, elections)
   * instead of the recording one, and take the commands of
   * coordination-protocol.ts. 'propose' is then refused, and 'status'
   * reports the applied index without the applied commands.
   */
  readonly coordination?: boolean;
}

/** One applied command: its log index and its tag. */
export type AppliedCommand = readonly [index: number, tag: string];

/** Events a member prints. `at` is set by the member; `id` and `life` are added by the harness. */
export type MemberEvent = { readonly at: number; readonly id: string; readonly life: number } & (
  | { readonly ev: 'started'; readonly port: number; readonly pid: number; readonly term: number }
  | { readonly ev: 'role'; readonly role: string; readonly term: number }
  | { readonly ev: 'leader'; readonly leaderId: string | null; readonly term: number }
  /** leadership() resolved with a token of `term`. */
  | { readonly ev: 'token'; readonly term: number }
  /** token.valid was seen turning true; `at` was read just before the check. */
  | { readonly ev: 'valid'; readonly term: number }
  /** token.valid is still true; `at` was read just after the check. */
  | { readonly ev: 'valid-seen'; readonly term: number }
  /** token.valid was seen false after a run of true; `lastTrueAt` ended that run. */
  | { readonly ev: 'valid-end'; readonly term: number; readonly lastTrueAt: number }
  /** The same three for the token a runOnLeader job was given. */
  | { readonly ev: 'job-valid'; readonly term: number }
  | { readonly ev: 'job-seen'; readonly term: number }
  | { readonly ev: 'job-end'; readonly term: number; readonly lastTrueAt: number }
  /** token.signal aborted. */
  | { readonly ev: 'lost'; readonly term: number; readonly code: string; readonly cause: string }
  | { readonly ev: 'ack'; readonly req: number; readonly tag: string; readonly index: number }
  | { readonly ev: 'nack'; readonly req: number; readonly tag: string; readonly code: string }
  | {
      readonly ev: 'status';
      readonly req: number;
      readonly role: string;
      readonly term: number;
      readonly leaderId: string | null;
      readonly commitIndex: number;
      readonly appliedIndex: number;
      readonly applied: readonly AppliedCommand[];
    }
  | { readonly ev: 'stopped' }
  | { readonly ev: 'error'; readonly code: string; readonly message: string; readonly field?: string }
  /** Added by the harness when the child process exits. */
  | { readonly ev: 'exit'; readonly code: number | null; readonly signal: string | null }
  | CoordinationEventBody
);

export type MemberEventName = MemberEvent['ev'];

/** Commands a member reads. `req` is echoed in the replies. */
export type MemberCommand =
  /**
   * Proposes one command per tag, at most `inflightMax` (default 32) at a
   * time, in order; each answers with 'ack' or 'nack'.
   */
  | {
      readonly cmd: 'propose';
      readonly req: number;
      readonly tags: readonly string[];
      readonly inflightMax?: number;
    }
  /** Answers 'status' once this member has applied index `appliedAtLeast` (default: at once). */
  | { readonly cmd: 'status'; readonly req: number; readonly appliedAtLeast?: number }
  /** Stops gracefully, prints 'stopped', exits 0. */
  | { readonly cmd: 'stop'; readonly req: number }
  | CoordinationCommand;

/** Milliseconds on CLOCK_MONOTONIC, with microsecond resolution. */
export function monotonicNowMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}
