import type { TransportLogger } from './transport.js';

/** How often a link that keeps failing is summarised, after its first failure was logged. */
export const LINK_FAILURE_SUMMARY_MS = 10_000;
/** Failing keys remembered at most (unauthenticated clients pick their own addresses). */
const KEYS_MAX = 1024;

interface Episode {
  /** When the last line about this key was written. */
  loggedAt: number;
  /** Failures since then, not yet in a line. */
  unlogged: number;
  /** The cause of the last line: a new cause is logged at once. */
  cause: string;
  /** Failures in the whole episode (until the link works again). */
  total: number;
}

/**
 * Logs link failures so an operator can act on them without drowning: per
 * key (a peer id, or a remote host for clients that did not say who they
 * are), the first failure of an episode at once, then at most one warning
 * per `summaryMs` with the count since the last line; a new cause is logged
 * at once. `recovered` ends the episode with one line saying how many
 * failures it had. Time comes from `now` (a monotonic clock), so tests drive
 * it by hand.
 */
export class LinkFailureLog {
  private readonly episodes = new Map<string, Episode>();

  constructor(
    private readonly logger: TransportLogger,
    private readonly now: () => number,
    private readonly summaryMs: number = LINK_FAILURE_SUMMARY_MS,
  ) {}

  /**
   * Records one failure. `firstLevel` is the level of the episode's first
   * line ('info' for failures that are routine while a peer restarts);
   * summaries are always warnings: the failure has lasted.
   */
  failure(
    key: string,
    cause: string,
    fields: object,
    msg: string,
    firstLevel: 'info' | 'warn' = 'warn',
  ): void {
    const now = this.now();
    const episode = this.episodes.get(key);
    if (episode === undefined) {
      this.remember(key, { loggedAt: now, unlogged: 0, cause, total: 1 });
      this.logger[firstLevel]({ ...fields, cause }, msg);
      return;
    }
    episode.total += 1;
    if (episode.cause !== cause) {
      this.logger.warn({ ...fields, cause, failures: episode.total }, msg);
      Object.assign(episode, { loggedAt: now, unlogged: 0, cause });
      return;
    }
    episode.unlogged += 1;
    if (now - episode.loggedAt < this.summaryMs) return;
    const seconds = Math.round((now - episode.loggedAt) / 1000);
    this.logger.warn(
      { ...fields, cause, failures: episode.total, lastSeconds: seconds, inLastSeconds: episode.unlogged },
      `${msg} (still failing: ${episode.unlogged} more in the last ${seconds} s)`,
    );
    episode.loggedAt = now;
    episode.unlogged = 0;
  }

  /** The link of `key` works: logs `msg` at info, with the episode's failure count if there was one. */
  recovered(key: string, fields: object, msg: string): void {
    const episode = this.episodes.get(key);
    this.episodes.delete(key);
    this.logger.info(episode === undefined ? fields : { ...fields, failuresBefore: episode.total }, msg);
  }

  private remember(key: string, episode: Episode): void {
    if (this.episodes.size >= KEYS_MAX) {
      const oldest = this.episodes.keys().next().value;
      if (oldest !== undefined) this.episodes.delete(oldest);
    }
    this.episodes.set(key, episode);
  }
}
