import { BatonError, LeadershipToken, type Logger, type TimerHandle, type Timers } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { type LeaderJobToken, runOnLeader } from '../src/index.js';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Leadership handed out by the test: grant(term) makes this member lead, lose() ends it. */
class FakeLeadership {
  token: LeadershipToken | undefined;
  private waiters: ((t: LeadershipToken) => void)[] = [];
  constructor(private readonly now: () => number) {}
  leadership(options: { signal?: AbortSignal } = {}): Promise<LeadershipToken> {
    if (this.token?.valid) return Promise.resolve(this.token);
    return new Promise((resolve, reject) => {
      this.waiters.push(resolve);
      options.signal?.addEventListener('abort', () =>
        reject(new BatonError('BATON_ABORTED', 'aborted', { cause: options.signal?.reason })),
      );
    });
  }
  grant(term: number): void {
    this.token = new LeadershipToken(term, Number.POSITIVE_INFINITY, { now: this.now });
    for (const w of this.waiters.splice(0)) w(this.token);
  }
  lose(): void {
    this.token?.abort('higher-term');
  }
}

/** Timers moved by hand. */
function manualTimers(): { timers: Timers; advance(ms: number): void; now(): number } {
  let now = 0;
  let pending: { at: number; fn: () => void; cancelled: boolean }[] = [];
  return {
    now: () => now,
    timers: {
      setTimeout(fn, ms): TimerHandle {
        const t = { at: now + ms, fn, cancelled: false };
        pending.push(t);
        return { cancel: () => (t.cancelled = true) };
      },
    },
    advance(ms) {
      now += ms;
      const due = pending.filter((t) => t.at <= now && !t.cancelled);
      pending = pending.filter((t) => t.at > now && !t.cancelled);
      for (const t of due) t.fn();
    },
  };
}

function recordingLogger(): { logger: Logger; lines: { level: string; msg: string; obj: object }[] } {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, msg, obj });
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

describe('runOnLeader', () => {
  it('runs the job while this member leads, aborts its token when leadership ends, and runs it again at the next', async () => {
    const time = manualTimers();
    const cluster = new FakeLeadership(time.now);
    const runs: { term: number; token: LeaderJobToken }[] = [];
    const job = runOnLeader(cluster, (token) => {
      runs.push({ term: token.term, token });
      return new Promise<void>((resolve) => token.signal.addEventListener('abort', () => resolve()));
    });
    await settle();
    expect(runs).toEqual([]);
    cluster.grant(3);
    await settle();
    expect(runs.map((r) => r.term)).toEqual([3]);
    expect(runs[0]!.token.valid).toBe(true);
    cluster.lose();
    await settle();
    expect(runs[0]!.token.signal.aborted).toBe(true);
    expect(runs[0]!.token.valid).toBe(false);
    cluster.grant(5);
    await settle();
    expect(runs.map((r) => r.term)).toEqual([3, 5]);
    await job.stop();
  });

  it('a job that throws is logged and started again after a doubling delay while leadership lasts', async () => {
    const time = manualTimers();
    const cluster = new FakeLeadership(time.now);
    const { logger, lines } = recordingLogger();
    let runs = 0;
    const job = runOnLeader(
      cluster,
      () => {
        runs++;
        throw new Error('boom');
      },
      { logger, timers: time.timers, restartDelayMs: [100, 250] },
    );
    cluster.grant(1);
    await settle();
    expect(runs).toBe(1);
    time.advance(99);
    await settle();
    expect(runs).toBe(1);
    time.advance(1);
    await settle();
    expect(runs).toBe(2);
    time.advance(200);
    await settle();
    expect(runs).toBe(3);
    time.advance(250); // capped at 250
    await settle();
    expect(runs).toBe(4);
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(4);
    await job.stop();
  });

  it('a job that returns is done for this leadership and runs again at the next', async () => {
    const time = manualTimers();
    const cluster = new FakeLeadership(time.now);
    let runs = 0;
    const job = runOnLeader(cluster, () => {
      runs++;
    });
    cluster.grant(1);
    await settle();
    time.advance(60_000);
    await settle();
    expect(runs).toBe(1);
    cluster.lose();
    cluster.grant(2);
    await settle();
    expect(runs).toBe(2);
    await job.stop();
  });

  it('stop() aborts the running job and resolves once it settled; it is idempotent, and a signal stops it too', async () => {
    const time = manualTimers();
    const cluster = new FakeLeadership(time.now);
    let settled = false;
    const job = runOnLeader(
      cluster,
      (token) =>
        new Promise<void>((resolve) =>
          token.signal.addEventListener('abort', () =>
            setImmediate(() => {
              settled = true;
              resolve();
            }),
          ),
        ),
    );
    cluster.grant(1);
    await settle();
    const first = job.stop();
    expect(job.stop()).toBe(first);
    await first;
    expect(settled).toBe(true);
    expect(cluster.token?.valid).toBe(true); // the member's own leadership is untouched

    const controller = new AbortController();
    runOnLeader(cluster, () => {}, { signal: controller.signal });
    const waiting = runOnLeader(new FakeLeadership(time.now), () => {});
    await waiting.stop(); // stopped while waiting for leadership: resolves at once
    controller.abort();
  });

  it('a job that ignores its signal is reported while it overruns and when it ends, and holds up only stop()', async () => {
    const time = manualTimers();
    const cluster = new FakeLeadership(time.now);
    const { logger, lines } = recordingLogger();
    let finish!: () => void;
    const job = runOnLeader(cluster, () => new Promise<void>((resolve) => (finish = resolve)), {
      logger,
      timers: time.timers,
      clock: { now: time.now },
    });
    cluster.grant(1);
    await settle();
    cluster.lose();
    let stopped = false;
    void job.stop().then(() => (stopped = true));
    time.advance(1000);
    await settle();
    expect(stopped).toBe(false);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    time.advance(500);
    finish();
    await settle();
    expect(stopped).toBe(true);
    const warnings = lines.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(2);
    expect(warnings[1]!.obj).toMatchObject({ term: 1, overrunMs: 1500 });
  });
});
