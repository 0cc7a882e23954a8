import {
  BatonError,
  isBatonError,
  type LeadershipToken,
  type Logger,
  type MonotonicClock,
  type Timers,
} from '@baton/core';

/** What runOnLeader needs of a member: a Cluster fits. */
export interface LeadershipSource {
  /** `Cluster.leadership`: resolves with a token once this member leads. */
  leadership(options?: { signal?: AbortSignal }): Promise<LeadershipToken>;
}

/**
 * What a job is given: the leadership it runs under. `signal` aborts when
 * the member loses leadership or the job is stopped; `valid` checks the
 * leader lease against the clock now (check it right before acting as the
 * only leader); `term` is a fencing token for the work.
 */
export interface LeaderJobToken {
  /**
   * Aborts when the member's leadership token does (BATON_LEADERSHIP_LOST)
   * or the job is stopped (BATON_STOPPED, or the reason of the `signal`
   * option).
   */
  readonly signal: AbortSignal;
  /** The Raft term of the leadership: a fencing token for the job's work. */
  readonly term: number;
  /** True while `signal` has not aborted and the leader lease holds, checked each time it is read. */
  readonly valid: boolean;
}

/** Options of `runOnLeader`. */
export interface RunOnLeaderOptions {
  /** Delay before a job that threw is started again: the first, doubling up to the last. Default [100, 10_000] ms. */
  readonly restartDelayMs?: readonly [number, number];
  /** Where failures and overruns are reported. Default: nowhere. */
  readonly logger?: Logger;
  /** Stops the job like stop() when it aborts. */
  readonly signal?: AbortSignal;
  /** Timers for the restart delay and overrun reports (tests pass virtual ones). Default: the global setTimeout. */
  readonly timers?: Timers;
  /** The clock overruns are measured on. Default: performance.now(). */
  readonly clock?: MonotonicClock;
}

/** A running runOnLeader: stop it, or leave its `await using` scope. */
export interface LeaderJob {
  /** Aborts the running job's token and resolves once the job has settled. Idempotent. */
  stop(): Promise<void>;
  /** `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A job still running this long after its token aborted is reported at once (and again when it ends). */
const OVERRUN_WARNING_MS = 1000;

const realTimers: Timers = {
  setTimeout(fn, delayMs) {
    const t = setTimeout(fn, delayMs);
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Runs `job` whenever this member leads (DESIGN.md §1): after its own-term
 * entry is applied and while it holds the leader lease. The job gets a token
 * whose signal aborts the moment leadership can no longer be guaranteed, and
 * is expected to stop then; when the member leads again, the job starts
 * again with a new token. A job that throws is logged and started again
 * after a backoff while leadership lasts; one that returns is done for this
 * term and starts again at the next. A job that ignores its signal is
 * reported with how long it overran — it holds up only stop(), never the
 * member's hand-over, which does not wait for jobs.
 */
export function runOnLeader(
  cluster: LeadershipSource,
  job: (token: LeaderJobToken) => unknown,
  options: RunOnLeaderOptions = {},
): LeaderJob {
  const runner = new JobRunner(cluster, job, options);
  void runner.run();
  return {
    stop: () => runner.stop(),
    [Symbol.asyncDispose]: () => runner.stop(),
  };
}

class JobRunner {
  private readonly stopping = new AbortController();
  private readonly done: Promise<void>;
  private resolveDone!: () => void;
  private readonly timers: Timers;
  private readonly clock: MonotonicClock;
  private readonly delays: readonly [number, number];

  constructor(
    private readonly cluster: LeadershipSource,
    private readonly job: (token: LeaderJobToken) => unknown,
    private readonly options: RunOnLeaderOptions,
  ) {
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
    this.timers = options.timers ?? realTimers;
    this.clock = options.clock ?? performance;
    this.delays = options.restartDelayMs ?? [100, 10_000];
    const outer = options.signal;
    if (outer?.aborted) this.stopping.abort(outer.reason);
    else outer?.addEventListener('abort', () => this.stopping.abort(outer.reason), { once: true });
  }

  stop(): Promise<void> {
    if (!this.stopping.signal.aborted) {
      this.stopping.abort(new BatonError('BATON_STOPPED', 'the leader job was stopped'));
    }
    return this.done;
  }

  async run(): Promise<void> {
    let delayMs = this.delays[0];
    try {
      while (!this.stopping.signal.aborted) {
        const leadership = await this.nextLeadership();
        if (leadership === undefined) return;
        const outcome = await this.runOnce(leadership);
        if (outcome === 'failed' && !jobSignal(leadership, this.stopping.signal).aborted) {
          await this.sleep(delayMs, jobSignal(leadership, this.stopping.signal));
          delayMs = Math.min(delayMs * 2, this.delays[1]);
          continue;
        }
        if (outcome === 'returned') delayMs = this.delays[0];
        // Done for this term (or it ended): wait until this leadership is over before the next.
        await abortedOrStopped(leadership.signal, this.stopping.signal);
      }
    } finally {
      this.resolveDone();
    }
  }

  private async nextLeadership(): Promise<LeadershipToken | undefined> {
    try {
      return await this.cluster.leadership({ signal: this.stopping.signal });
    } catch (error) {
      if (isBatonError(error, 'BATON_ABORTED') || isBatonError(error, 'BATON_STOPPED')) return undefined;
      throw error;
    }
  }

  /** One run of the job under `leadership`; reports an overrun past the end of its token. */
  private async runOnce(leadership: LeadershipToken): Promise<'returned' | 'failed'> {
    const signal = jobSignal(leadership, this.stopping.signal);
    const token: LeaderJobToken = {
      signal,
      term: leadership.term,
      get valid() {
        return !signal.aborted && leadership.valid;
      },
    };
    // A job should stop when its signal aborts; one that does not is reported while it overruns and when it ends.
    let endedAt: number | undefined;
    let overrunWarning: { cancel(): void } | undefined;
    const onEnd = () => {
      endedAt = this.clock.now();
      overrunWarning = this.timers.setTimeout(() => {
        this.options.logger?.warn(
          { term: leadership.term, overrunMs: OVERRUN_WARNING_MS },
          'leader job still running after its leadership ended; it must stop when token.signal aborts',
        );
      }, OVERRUN_WARNING_MS);
    };
    // Leadership can be lost before the job starts: a listener added then would never run.
    if (signal.aborted) onEnd();
    else signal.addEventListener('abort', onEnd, { once: true });
    try {
      await this.job(token);
      return 'returned';
    } catch (error) {
      if (!signal.aborted)
        this.options.logger?.error(
          { err: error, term: leadership.term },
          'leader job failed; it will run again',
        );
      return 'failed';
    } finally {
      signal.removeEventListener('abort', onEnd);
      overrunWarning?.cancel();
      if (endedAt !== undefined) {
        const overrunMs = this.clock.now() - endedAt;
        if (overrunMs > 1) {
          this.options.logger?.warn(
            { term: leadership.term, overrunMs: Math.round(overrunMs) },
            'leader job kept running after its leadership ended; it must stop when token.signal aborts',
          );
        }
      }
    }
  }

  private sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = this.timers.setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      function done(): void {
        timer.cancel();
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}

/** Aborts when leadership is lost or the runner stops. */
function jobSignal(leadership: LeadershipToken, stopping: AbortSignal): AbortSignal {
  return AbortSignal.any([leadership.signal, stopping]);
}

function abortedOrStopped(a: AbortSignal, b: AbortSignal): Promise<void> {
  if (a.aborted || b.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      a.removeEventListener('abort', done);
      b.removeEventListener('abort', done);
      resolve();
    };
    a.addEventListener('abort', done, { once: true });
    b.addEventListener('abort', done, { once: true });
  });
}
