/**
 * The lock and election commands of a child-process member
 * (coordination-protocol.ts), over the public `@baton/lock` and
 * `@baton/election` API of the member's own Cluster.
 *
 * Held locks and election wins are watched like leadership tokens in
 * member-process.ts: `valid` is polled every few milliseconds and its runs
 * are reported, each 'hold-seen' with the deadline of the lease the hold
 * rests on. That deadline is read from the Lease objects this member was
 * granted (its grantLease is wrapped to keep them): it is what lets a test
 * compare the holder's own idea of "valid until" with the instant another
 * member was granted the lock, even when the holder was killed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Cluster, Lease } from '@baton/core';
import { Election } from '@baton/election';
import { type HeldLock, Locks } from '@baton/lock';
import type { CoordinationCommand, CoordinationEventBody } from './coordination-protocol.js';
import { monotonicNowMs } from './member-protocol.js';

type Emit = (event: CoordinationEventBody & { at?: number }) => void;

/** What is watched: a HeldLock or an ElectionLeadership. */
interface Hold {
  readonly fencingToken: number;
  readonly valid: boolean;
  readonly signal: AbortSignal;
}

/** A counter worker waits this long for the lock before giving up (a clear failure instead of a hang). */
const COUNTER_WAIT_MS = 30_000;
/** A lock-loop worker whose acquire failed asks again after this pause, so a dead leader is not hammered. */
const LOOP_RETRY_PAUSE_MS = 20;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

function causeOf(error: unknown): string | null {
  const cause = (error as { cause?: unknown } | undefined)?.cause;
  if (typeof cause === 'string') return cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : null;
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class MemberCoordination {
  private readonly leases = new Map<number, Lease>();
  private readonly locksByTtl = new Map<number, Locks>();
  private readonly held = new Map<string, HeldLock>();
  private readonly elections = new Map<string, Election>();
  private readonly loops = new Map<number, AbortController>();
  /** performance.now() (the runtime's clock) → CLOCK_MONOTONIC milliseconds. */
  private readonly clockOffsetMs = monotonicNowMs() - performance.now();

  constructor(
    private readonly cluster: Cluster,
    private readonly emit: Emit,
    private readonly pollMs: number,
    private readonly reportMs: number,
  ) {
    const grant = cluster.grantLease.bind(cluster);
    cluster.grantLease = async (options) => {
      const lease = await grant(options);
      this.leases.set(lease.id, lease);
      return lease;
    };
  }

  onCommand(command: CoordinationCommand): void {
    switch (command.cmd) {
      case 'acquire':
        void this.acquire(command);
        break;
      case 'release':
        void this.release(command);
        break;
      case 'holder':
        void this.holder(command);
        break;
      case 'counter':
        void this.counter(command);
        break;
      case 'lock-loop':
        this.lockLoop(command);
        break;
      case 'loop-stop':
        this.loops.get(command.loop)?.abort();
        break;
      case 'campaign':
        void this.campaign(command);
        break;
      case 'resign':
        void this.resign(command);
        break;
      case 'observe':
        void this.observe(command);
        break;
      case 'waiters':
        void this.waiters(command);
        break;
    }
  }

  private locksFor(ttlMs: number): Locks {
    let locks = this.locksByTtl.get(ttlMs);
    if (locks === undefined) {
      locks = new Locks(this.cluster, { ttlMs });
      this.locksByTtl.set(ttlMs, locks);
    }
    return locks;
  }

  private async acquire(c: Extract<CoordinationCommand, { cmd: 'acquire' }>): Promise<void> {
    const locks = this.locksFor(c.ttlMs);
    const controller = new AbortController();
    const timer =
      c.abortAfterMs === undefined
        ? undefined
        : setTimeout(() => controller.abort(new Error('the caller gave up')), c.abortAfterMs);
    try {
      const held = c.try
        ? await locks.tryAcquire(c.name, { signal: controller.signal })
        : await locks.acquire(c.name, {
            signal: controller.signal,
            ...(c.waitMs === undefined ? {} : { waitMs: c.waitMs }),
          });
      if (held === undefined) {
        this.emit({ ev: 'busy', req: c.req, name: c.name });
        return;
      }
      this.held.set(c.name, held);
      this.emit({ ev: 'acquired', req: c.req, name: c.name, token: held.fencingToken });
      this.watch(`lock:${c.name}`, held, this.leaseOf('lock', c.name, held.fencingToken));
    } catch (error) {
      this.emit({
        ev: 'acquire-failed',
        req: c.req,
        name: c.name,
        code: codeOf(error),
        cause: causeOf(error),
      });
    } finally {
      clearTimeout(timer);
    }
  }

  private async release(c: Extract<CoordinationCommand, { cmd: 'release' }>): Promise<void> {
    const held = this.held.get(c.name);
    this.held.delete(c.name);
    try {
      if (held === undefined) throw Object.assign(new Error('not held here'), { code: 'TEST_NOT_HELD_HERE' });
      await held.release();
      this.emit({ ev: 'released', req: c.req, name: c.name });
    } catch (error) {
      this.emit({ ev: 'release-failed', req: c.req, name: c.name, code: codeOf(error) });
    }
  }

  private async holder(c: Extract<CoordinationCommand, { cmd: 'holder' }>): Promise<void> {
    // Any Locks instance answers for the whole cluster; the TTL of a throwaway one does not matter.
    const holder = await this.locksFor(60_000).holder(c.name);
    this.emit({
      ev: 'holder',
      req: c.req,
      name: c.name,
      memberId: holder?.memberId ?? null,
      token: holder?.fencingToken ?? null,
    });
  }

  private async counter(c: Extract<CoordinationCommand, { cmd: 'counter' }>): Promise<void> {
    const locks = this.locksFor(c.ttlMs);
    const failures: string[] = [];
    const worker = async (index: number): Promise<void> => {
      for (let round = 0; round < c.rounds; round++) {
        try {
          await locks.withLock(
            c.name,
            async (held) => {
              const from = monotonicNowMs();
              const stored = JSON.parse(await readFile(c.file, 'utf8')) as { count: number; token: number };
              await pause(1); // the lock must cover awaits between the read and the write
              await writeFile(c.file, JSON.stringify({ count: stored.count + 1, token: held.fencingToken }));
              const to = monotonicNowMs();
              this.emit({
                ev: 'cs',
                req: c.req,
                worker: index,
                token: held.fencingToken,
                from,
                to,
                read: stored.count,
                previousToken: stored.token,
              });
            },
            { waitMs: COUNTER_WAIT_MS },
          );
        } catch (error) {
          failures.push(`${codeOf(error)} (${causeOf(error) ?? 'no cause'})`);
        }
      }
    };
    await Promise.all(Array.from({ length: c.workers }, (_, i) => worker(i)));
    this.emit({ ev: 'counter-done', req: c.req, failures });
  }

  private lockLoop(c: Extract<CoordinationCommand, { cmd: 'lock-loop' }>): void {
    const controller = new AbortController();
    this.loops.set(c.req, controller);
    const locks = this.locksFor(c.ttlMs);
    const worker = async (index: number): Promise<void> => {
      const name = `${this.cluster.id}-w${index}`;
      while (!controller.signal.aborted) {
        const startedAt = monotonicNowMs();
        let held: HeldLock | undefined;
        let code: string | null = null;
        try {
          held = await locks.acquire(name, { waitMs: c.waitMs });
        } catch (error) {
          code = codeOf(error);
        }
        const endedAt = monotonicNowMs();
        let releaseCode: string | null = null;
        let releasedAt: number | null = null;
        if (held !== undefined) {
          await pause(c.holdMs);
          await held.release().catch((error: unknown) => {
            releaseCode = codeOf(error);
          });
          releasedAt = monotonicNowMs();
        } else {
          await pause(LOOP_RETRY_PAUSE_MS);
        }
        this.emit({
          ev: 'attempt',
          req: c.req,
          worker: index,
          name,
          startedAt,
          endedAt,
          code,
          token: held?.fencingToken ?? null,
          releasedAt,
          releaseCode,
        });
      }
    };
    void Promise.all(Array.from({ length: c.workers }, (_, i) => worker(i))).then(() =>
      this.emit({ ev: 'loop-done', req: c.req }),
    );
  }

  private electionFor(name: string, ttlMs: number): Election {
    let election = this.elections.get(name);
    if (election === undefined) {
      election = new Election(this.cluster, name, { ttlMs });
      this.elections.set(name, election);
    }
    return election;
  }

  private async campaign(c: Extract<CoordinationCommand, { cmd: 'campaign' }>): Promise<void> {
    try {
      const won = await this.electionFor(c.name, c.ttlMs).campaign(
        c.value === undefined ? {} : { value: c.value },
      );
      this.emit({
        ev: 'elected',
        req: c.req,
        name: c.name,
        token: won.fencingToken,
        value: won.value ?? null,
      });
      this.watch(`election:${c.name}`, won, this.leaseOf('election', c.name, won.fencingToken));
    } catch (error) {
      this.emit({ ev: 'campaign-failed', req: c.req, name: c.name, code: codeOf(error) });
    }
  }

  private async resign(c: Extract<CoordinationCommand, { cmd: 'resign' }>): Promise<void> {
    await this.elections.get(c.name)?.resign();
    this.emit({ ev: 'resigned', req: c.req, name: c.name });
  }

  /** Observes on an Election instance of its own: it never campaigns, so its TTL does not matter. */
  private async observe(c: Extract<CoordinationCommand, { cmd: 'observe' }>): Promise<void> {
    const observer = new Election(this.cluster, c.name, { ttlMs: 60_000 });
    for await (const who of observer.observe()) {
      this.emit({
        ev: 'observed',
        req: c.req,
        name: c.name,
        memberId: who?.memberId ?? null,
        token: who?.fencingToken ?? null,
      });
    }
  }

  private async waiters(c: Extract<CoordinationCommand, { cmd: 'waiters' }>): Promise<void> {
    const waiting = await this.cluster.coordination.read((view) => view.waiters(c.space, c.name));
    this.emit({
      ev: 'waiters',
      req: c.req,
      space: c.space,
      name: c.name,
      owners: waiting.map((w) => w.owner),
    });
  }

  /** The lease a grant rests on, if this member was granted it here. */
  private leaseOf(space: 'lock' | 'election', name: string, fencingToken: number): Lease | undefined {
    const holder = this.cluster.coordination.view.holder(space, name);
    return holder?.fencingToken === fencingToken ? this.leases.get(holder.leaseId) : undefined;
  }

  /** Reports the validity runs of a hold until its signal has aborted and it is no longer valid. */
  private watch(key: string, hold: Hold, lease: Lease | undefined): void {
    const token = hold.fencingToken;
    const deadlineNow = (): number | null => {
      const deadline = lease?.deadline;
      return deadline === undefined || !Number.isFinite(deadline) ? null : deadline + this.clockOffsetMs;
    };
    let inRun = false;
    let lastTrueAt = 0;
    let lastReportAt = 0;
    let lastDeadline: number | null = null;
    const poll = (): void => {
      const before = monotonicNowMs();
      const valid = hold.valid;
      const after = monotonicNowMs();
      if (valid) {
        const deadline = deadlineNow();
        if (!inRun) {
          inRun = true;
          this.emit({ ev: 'hold-valid', key, token, at: before });
        }
        if (after - lastReportAt >= this.reportMs || deadline !== lastDeadline) {
          this.emit({ ev: 'hold-seen', key, token, deadline, at: after });
          lastReportAt = after;
          lastDeadline = deadline;
        }
        lastTrueAt = after;
      } else if (inRun) {
        inRun = false;
        this.emit({ ev: 'hold-end', key, token, lastTrueAt });
      }
      if (!valid && hold.signal.aborted) clearInterval(timer);
    };
    const timer = setInterval(poll, this.pollMs);
    hold.signal.addEventListener(
      'abort',
      () => {
        const reason = hold.signal.reason as unknown;
        this.emit({ ev: 'hold-lost', key, token, code: codeOf(reason), cause: causeOf(reason) ?? 'unknown' });
        poll();
      },
      { once: true },
    );
    poll();
  }
}
