import type { Env, Logger, TimerHandle } from '../env.js';
import { BatonError, isBatonError } from '../errors.js';
import type { ForwardRequest, ForwardResponse, PeerMessage } from '../peer-message.js';
import type { LogIndex, MemberId } from '../raft/types.js';
import type { NodeLoop } from './node-loop.js';

export interface ForwarderOptions {
  readonly loop: NodeLoop;
  readonly env: Env;
  readonly send: (m: PeerMessage) => void;
  readonly logger: Logger;
  /** How long a forwarded request may wait for the leader's answer before the caller is told it is unknown. */
  readonly answerTimeoutMs: number;
  /** Most forwarded requests waiting for an answer at once. */
  readonly pendingMax: number;
}

export interface SubmitOptions {
  readonly signal?: AbortSignal | undefined;
  /** Give up with BATON_UNAVAILABLE when no leader took the command within this time. */
  readonly timeoutMs: number;
}

interface Pending {
  resolve(answer: ForwardResponse): void;
  reject(error: unknown): void;
}

/**
 * Makes every member a place to propose: the leader appends directly, a
 * follower forwards the command to the leader it knows and, once told where
 * the command was appended, resolves after it has applied that entry itself
 * (read-your-writes on every member, DESIGN.md §3).
 *
 * A command is retried only when it certainly was not appended (no leader, or
 * the leader answered BATON_NOT_LEADER, or its entry was replaced by a new
 * leader's); a lost answer ends in BATON_UNAVAILABLE, never in a blind retry
 * that could apply the command twice.
 */
export class Forwarder {
  private readonly pending = new Map<string, Pending>();
  private readonly leaderWaiters = new Set<() => void>();

  constructor(private readonly opts: ForwarderOptions) {}

  /** Proposes `data` through whichever member leads; resolves with the local apply result. */
  async submit(data: Uint8Array, options: SubmitOptions): Promise<{ index: LogIndex; result: unknown }> {
    const { signal } = options;
    if (signal?.aborted)
      throw new BatonError('BATON_ABORTED', 'aborted before proposing', { cause: signal.reason });
    const deadline = this.opts.env.clock.now() + options.timeoutMs;
    for (;;) {
      const leaderId = this.opts.loop.status().leaderId;
      try {
        if (leaderId === this.opts.loop.id) return await this.opts.loop.propose(data);
        if (leaderId !== undefined) return await this.viaLeader(leaderId, data, deadline, signal);
      } catch (error) {
        if (!isBatonError(error, 'BATON_NOT_LEADER')) throw error;
        this.opts.logger.debug({ leaderId }, 'proposal not taken by that leader; waiting for the next');
      }
      await this.leaderChange(leaderId, deadline, signal);
    }
  }

  /** A message of the forwarding protocol arrived. */
  onMessage(m: ForwardRequest | ForwardResponse): void {
    if (m.type === 'forward') this.serve(m);
    else this.pending.get(m.requestId)?.resolve(m);
  }

  /** The leader changed: forwarded requests to the old one get no answer, and waiters look again. */
  onLeaderChange(): void {
    const waiters = [...this.leaderWaiters];
    this.leaderWaiters.clear();
    for (const wake of waiters) wake(); // a waiter whose leader did not change re-registers
  }

  /** Fails everything waiting (the member is stopping). */
  stop(): void {
    const error = new BatonError('BATON_STOPPED', 'the cluster member has stopped');
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.onLeaderChange();
  }

  /** Leader side: append the command and answer at once with where it went. */
  private serve(m: ForwardRequest): void {
    const answer = {
      type: 'forwardResp',
      from: this.opts.loop.id,
      to: m.from,
      requestId: m.requestId,
    } as const;
    const term = this.opts.loop.status().term;
    try {
      const { index, term: entryTerm } = this.opts.loop.append(m.data);
      this.opts.send({ ...answer, term, index, entryTerm, errorCode: '' });
    } catch (error) {
      const errorCode = isBatonError(error) ? error.code : 'BATON_UNAVAILABLE';
      this.opts.send({ ...answer, term, index: 0, entryTerm: 0, errorCode });
    }
  }

  private async viaLeader(
    leaderId: MemberId,
    data: Uint8Array,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<{ index: LogIndex; result: unknown }> {
    if (this.pending.size >= this.opts.pendingMax) {
      throw new BatonError('BATON_UNAVAILABLE', 'too many forwarded requests waiting');
    }
    const requestId = this.opts.env.newId();
    const loop = this.opts.loop;
    const answered = new Promise<ForwardResponse>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
    });
    const waitMs = Math.min(this.opts.answerTimeoutMs, Math.max(0, deadline - this.opts.env.clock.now()));
    this.opts.send({
      type: 'forward',
      from: loop.id,
      to: leaderId,
      term: loop.status().term,
      requestId,
      data,
    });
    let answer: ForwardResponse;
    try {
      answer = await this.within(
        answered,
        waitMs,
        signal,
        'the leader did not answer a forwarded command in time',
      );
    } finally {
      this.pending.delete(requestId);
    }
    if (answer.errorCode !== '')
      throw new BatonError(answer.errorCode, `leader ${leaderId} refused the command`);
    const applied = loop.awaitApplied(answer.index, answer.entryTerm);
    const remaining = Math.max(0, deadline - this.opts.env.clock.now());
    const result = await this.within(applied, remaining, signal, 'the command was not applied here in time');
    return { index: answer.index, result };
  }

  /** Waits until the known leader differs from `from`, the deadline passes (BATON_UNAVAILABLE) or `signal` aborts. */
  private leaderChange(
    from: MemberId | undefined,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const remaining = deadline - this.opts.env.clock.now();
    if (remaining <= 0)
      return Promise.reject(new BatonError('BATON_UNAVAILABLE', 'no leader took the command in time'));
    const changed = new Promise<void>((resolve) => {
      const wake = () => {
        if (this.opts.loop.status().leaderId !== from) resolve();
        else this.leaderWaiters.add(wake);
      };
      this.leaderWaiters.add(wake);
    });
    return this.within(changed, remaining, signal, 'no leader took the command in time');
  }

  /** Races `p` against a timeout (BATON_UNAVAILABLE) and the caller's signal (BATON_ABORTED). */
  private within<T>(
    p: Promise<T>,
    ms: number,
    signal: AbortSignal | undefined,
    timeoutMessage: string,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const onAbort = () =>
        finish(() => reject(new BatonError('BATON_ABORTED', 'aborted', { cause: signal?.reason })));
      const finish = (settle: () => void) => {
        timer?.cancel();
        signal?.removeEventListener('abort', onAbort);
        settle();
      };
      timer = this.opts.env.timers.setTimeout(
        () => finish(() => reject(new BatonError('BATON_UNAVAILABLE', timeoutMessage))),
        ms,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => finish(() => resolve(v)),
        (e) => finish(() => reject(e)),
      );
    });
  }
}
