import type { Env, Logger } from '../env.js';
import { BatonError, isBatonError } from '../errors.js';
import type { ForwardRequest, ForwardResponse, PeerMessage } from '../peer-message.js';
import type { LogIndex, MemberId, Term } from '../raft/types.js';
import { ENVELOPE_OVERHEAD_BYTES_MAX, encodeEnvelope } from '../state/command-envelope.js';
import type { AppliedOutcome } from '../state/sessioned-apply.js';
import type { Histogram } from '../status/histogram.js';
import { ClientSession } from './client-session.js';
import { abortedError, withDeadline } from './deadline.js';
import type { NodeLoop } from './node-loop.js';

export interface ForwarderOptions {
  readonly loop: NodeLoop;
  readonly env: Env;
  /** Hands a message to the transport; false when it was certainly not sent (e.g. the link is down). */
  readonly send: (m: PeerMessage) => boolean;
  readonly logger: Logger;
  /** How long a forwarded request may wait for the leader's answer before the caller is told it is unknown. */
  readonly answerTimeoutMs: number;
  /** Most forwarded requests waiting for an answer at once. */
  readonly pendingMax: number;
  /**
   * A read not confirmed within this time is asked for again (the core never
   * resends a ReadIndex request or answer that a link dropped). Reads are
   * idempotent, so a retry is always safe.
   */
  readonly readRetryMs: number;
  /**
   * A command that could not be handed to the link to the leader (the link is
   * down, the leader's heartbeats may still arrive on the other) is sent again
   * after this long, or as soon as the leader changes.
   */
  readonly unsentRetryMs: number;
  /** Records how long each command took, until applied here (the status page's metrics). */
  readonly commandLatency?: Histogram;
}

export interface SubmitOptions {
  readonly signal?: AbortSignal | undefined;
  /** Give up with BATON_UNAVAILABLE when no leader took the command within this time. */
  readonly timeoutMs: number;
  /** A command given up in doubt that turns out to have been applied: its result (see Forwarder.submit). */
  readonly onLateResult?: ((result: unknown) => void) | undefined;
}

interface Pending {
  resolve(answer: ForwardResponse): void;
  reject(error: unknown): void;
}

/** What routing one command's data through the leader came to. */
interface Routed {
  readonly index: LogIndex;
  readonly outcome: AppliedOutcome;
}

/**
 * Makes every member a place to propose: the leader appends directly, a
 * follower forwards the command to the leader it knows and, once told where
 * the command was appended, resolves after it has applied that entry itself
 * (read-your-writes on every member, DESIGN.md §3).
 *
 * Every command travels in this member's client session with its own
 * sequence number (state/client-sessions.ts): whenever its outcome is in
 * doubt — no answer from the leader, its entry replaced by a new leader's,
 * its result no longer remembered here — it is sent again with the same
 * number, and the cluster applies it at most once and answers every copy
 * with the first result. Only the caller's deadline ends the retries
 * (BATON_UNAVAILABLE: outcome unknown).
 */
export class Forwarder {
  private readonly pending = new Map<string, Pending>();
  private readonly leaderWaiters = new Set<() => void>();
  private stopped = false;
  private session: ClientSession | undefined;
  private registering: Promise<ClientSession> | undefined;

  constructor(private readonly opts: ForwarderOptions) {}

  /**
   * Proposes `payload` through whichever member leads; resolves with the
   * local apply result. When it gives up (deadline, `signal`) on a command
   * a leader may have appended, the command is abandoned in the background:
   * either it was never applied and now never will be, or it was — and
   * `onLateResult` gets the result its caller never saw, to undo what it must.
   */
  async submit(payload: Uint8Array, options: SubmitOptions): Promise<{ index: LogIndex; result: unknown }> {
    const { signal } = options;
    this.throwIfStopped();
    if (signal?.aborted) throw abortedError(signal);
    // Checked here too: a follower could not forward it (over the frame limit), and would retry until the deadline.
    this.opts.loop.checkCommandSize(payload, ENVELOPE_OVERHEAD_BYTES_MAX);
    const startedAt = this.opts.env.clock.now();
    const deadline = startedAt + options.timeoutMs;
    for (;;) {
      const session = await this.openSession(deadline, signal);
      const seq = session.begin();
      /** Copies a leader may have appended (a refusal takes its copy back). */
      const copies = { maybeAppended: 0 };
      let abandoning = false;
      /** Abandoning would tell nothing: the cluster forgot the session, so no copy can execute any more. */
      let sessionGone = false;
      try {
        const { index, outcome } = await this.route(
          () => session.envelope(seq, payload),
          deadline,
          signal,
          copies,
        );
        if (outcome.kind === 'ok') {
          this.opts.commandLatency?.observeMs(this.opts.env.clock.now() - startedAt);
          return { index, result: outcome.result };
        }
        sessionGone = outcome.kind === 'expired';
        if (outcome.kind !== 'expired' || copies.maybeAppended > 1) {
          // Another copy may have been applied while the session still existed.
          throw new BatonError(
            'BATON_UNAVAILABLE',
            'the outcome of the command is unknown (its client session was forgotten)',
          );
        }
        // The one copy sent was refused unapplied: the session was forgotten. Open another, send again.
        if (this.session === session) this.session = undefined;
        this.opts.logger.info(
          { session: session.id },
          'client session forgotten by the cluster; opening another',
        );
      } catch (error) {
        if (copies.maybeAppended > 0 && !this.stopped && !sessionGone) {
          abandoning = true;
          this.abandon(session, seq, options.onLateResult);
        }
        throw error;
      } finally {
        if (!abandoning) session.end(seq);
      }
    }
  }

  /**
   * A linearizable read point on this member, retried through leader changes
   * until `timeoutMs` (BATON_UNAVAILABLE) or `signal` (BATON_ABORTED).
   */
  async read(options: SubmitOptions): Promise<LogIndex> {
    const { signal } = options;
    this.throwIfStopped();
    if (signal?.aborted) throw abortedError(signal);
    const deadline = this.opts.env.clock.now() + options.timeoutMs;
    for (;;) {
      const leaderId = this.opts.loop.status().leaderId;
      const remaining = deadline - this.opts.env.clock.now();
      try {
        if (leaderId !== undefined) {
          const attemptMs = Math.max(1, Math.min(remaining, this.opts.readRetryMs));
          const read = this.opts.loop.read(attemptMs);
          return await this.until(read.promise, deadline, signal, NOT_READ, read.cancel);
        }
      } catch (error) {
        // Not confirmed within one attempt: ask again while the deadline allows.
        const unconfirmed = isBatonError(error, 'BATON_UNAVAILABLE') && this.opts.env.clock.now() < deadline;
        if (unconfirmed) {
          this.throwIfStopped();
          continue;
        }
        if (!isBatonError(error, 'BATON_NOT_LEADER')) throw error;
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

  /** Fails everything waiting, and every later call, with BATON_STOPPED (the member is stopping). */
  stop(): void {
    this.stopped = true;
    const error = stoppedError();
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
    this.onLeaderChange(); // waiters see `stopped` and reject
  }

  private throwIfStopped(): void {
    if (this.stopped) throw stoppedError();
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
    if (this.stopped) {
      // Stopping (possibly handing leadership over): the follower should try the next leader at once.
      this.opts.send({ ...answer, term, index: 0, entryTerm: 0, errorCode: 'BATON_NOT_LEADER' });
      return;
    }
    try {
      const { index, term: entryTerm } = this.opts.loop.append(m.data);
      this.opts.send({ ...answer, term, index, entryTerm, errorCode: '' });
    } catch (error) {
      const errorCode = isBatonError(error) ? error.code : 'BATON_UNAVAILABLE';
      this.opts.send({ ...answer, term, index: 0, entryTerm: 0, errorCode });
    }
  }

  /**
   * This member's client session, opened (one register entry) on first use
   * or after the cluster forgot it. The registration has its own deadline and
   * no signal: it is shared, and one caller giving up must not fail the others
   * — nor may the registration's deadline fail a caller whose own is later:
   * one that ran out (no leader in time) is started again for that caller.
   */
  private async openSession(deadline: number, signal: AbortSignal | undefined): Promise<ClientSession> {
    for (;;) {
      try {
        return await this.until(this.registration(), deadline, signal, NO_LEADER);
      } catch (error) {
        // The shared registration failed by its own deadline (one answer timeout), not ours: a caller
        // that joined it late still has time, and tries again (else an acquire could fail 100 ms into
        // its 3 s waitMs).
        const oursLeft = this.opts.env.clock.now() < deadline && !signal?.aborted && !this.stopped;
        if (!oursLeft || !isBatonError(error, 'BATON_UNAVAILABLE')) throw error;
        // Never at once: a registration refused on the spot (too many requests waiting) would spin.
        const pause = new Promise<void>((resolve) =>
          this.opts.env.timers.setTimeout(() => resolve(), this.opts.unsentRetryMs),
        );
        await this.until(pause, deadline, signal, NO_LEADER).catch(() => {});
      }
    }
  }

  /** The session, or the registration under way (started if there is none), shared by every caller. */
  private registration(): Promise<ClientSession> {
    if (this.session) return Promise.resolve(this.session);
    if (this.registering === undefined) {
      const registerBy = this.opts.env.clock.now() + this.opts.answerTimeoutMs;
      const registering = this.route(() => REGISTER, registerBy, undefined, { maybeAppended: 0 }).then(
        ({ outcome }) => {
          if (outcome.kind !== 'registered') {
            throw new BatonError('BATON_UNAVAILABLE', `opening a client session came to ${outcome.kind}`);
          }
          this.session = new ClientSession(outcome.session);
          return this.session;
        },
      );
      this.registering = registering;
      // Whatever its outcome, the next caller after it settles looks again (a failed one tries anew).
      const clear = () => {
        if (this.registering === registering) this.registering = undefined;
      };
      registering.then(clear, clear);
    }
    return this.registering;
  }

  /**
   * Abandons command `seq` of `session` in the background (a caller gave up
   * on it in doubt), retrying until the cluster answers: then `seq` may leave
   * the session's waiting set, and if the command had been applied after
   * all, `onLateResult` gets its result.
   */
  private abandon(
    session: ClientSession,
    seq: number,
    onLateResult: ((result: unknown) => void) | undefined,
  ): void {
    const data = encodeEnvelope({ kind: 'abandon', session: session.id, seq });
    void (async () => {
      let delayMs = this.opts.unsentRetryMs;
      try {
        while (!this.stopped) {
          try {
            const by = this.opts.env.clock.now() + this.opts.answerTimeoutMs;
            const { outcome } = await this.route(() => data, by, undefined, { maybeAppended: 0 });
            if (outcome.kind === 'executed') onLateResult?.(outcome.result);
            return;
          } catch (error) {
            this.opts.logger.debug(
              { err: error, session: session.id, seq },
              'abandoning a command: trying again',
            );
            await new Promise((resolve) =>
              this.opts.env.timers.setTimeout(() => resolve(undefined), delayMs),
            );
            delayMs = Math.min(delayMs * 2, this.opts.answerTimeoutMs);
          }
        }
      } finally {
        session.end(seq);
      }
    })();
  }

  /**
   * Gets `data()` appended by the leader and applied here, sending it again
   * whenever its outcome is in doubt, until `deadline`. `onSend` counts the
   * copies that may have been appended.
   */
  private async route(
    data: () => Uint8Array,
    deadline: number,
    signal: AbortSignal | undefined,
    copies: { maybeAppended: number },
  ): Promise<Routed> {
    for (;;) {
      const leaderId = this.opts.loop.status().leaderId;
      try {
        if (leaderId === this.opts.loop.id) {
          const { index, term } = this.opts.loop.append(data());
          copies.maybeAppended++;
          return { index, outcome: await this.applied(index, term, deadline, signal) };
        }
        if (leaderId !== undefined) return await this.viaLeader(leaderId, data(), deadline, signal, copies);
      } catch (error) {
        if (error instanceof NotSent) {
          // Certainly not appended: try again once the link is back (or another member leads).
          await this.leaderChange(leaderId, deadline, signal, this.opts.unsentRetryMs);
          continue;
        }
        if (error instanceof InDoubt) {
          this.opts.logger.debug({ leaderId, reason: error.message }, 'command in doubt; sending it again');
          await this.leaderChange(leaderId, deadline, signal, this.opts.unsentRetryMs);
          continue;
        }
        if (!isBatonError(error, 'BATON_NOT_LEADER')) throw error;
        this.opts.logger.debug({ leaderId }, 'proposal not taken by that leader; waiting for the next');
      }
      await this.leaderChange(leaderId, deadline, signal);
    }
  }

  /** Waits until this member applied the entry (index, term); in doubt when it cannot tell any more. */
  private async applied(
    index: LogIndex,
    term: Term,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<AppliedOutcome> {
    const wait = this.opts.loop.awaitApplied(index, term);
    try {
      return await this.until(wait.promise, deadline, signal, NOT_APPLIED, wait.cancel);
    } catch (error) {
      // Replaced by another leader's entry, or its outcome forgotten here: the copy is in doubt.
      const inDoubt =
        (isBatonError(error, 'BATON_NOT_LEADER') || isBatonError(error, 'BATON_UNAVAILABLE')) &&
        this.opts.env.clock.now() < deadline &&
        !this.stopped;
      if (inDoubt) throw new InDoubt(error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  private async viaLeader(
    leaderId: MemberId,
    data: Uint8Array,
    deadline: number,
    signal: AbortSignal | undefined,
    copies: { maybeAppended: number },
  ): Promise<Routed> {
    if (this.pending.size >= this.opts.pendingMax) {
      throw new BatonError('BATON_UNAVAILABLE', 'too many forwarded requests waiting');
    }
    const requestId = this.opts.env.newId();
    const loop = this.opts.loop;
    const answered = new Promise<ForwardResponse>((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
    });
    const sent = this.opts.send({
      type: 'forward',
      from: loop.id,
      to: leaderId,
      term: loop.status().term,
      requestId,
      data,
    });
    if (!sent) {
      this.pending.delete(requestId);
      throw new NotSent();
    }
    copies.maybeAppended++;
    const answerBy = Math.min(deadline, this.opts.env.clock.now() + this.opts.answerTimeoutMs);
    let answer: ForwardResponse;
    try {
      answer = await this.until(answered, answerBy, signal, NO_ANSWER, () => this.pending.delete(requestId));
    } catch (error) {
      // No answer yet, time left: the request or its answer may be lost. Ask again.
      const lost = isBatonError(error, 'BATON_UNAVAILABLE') && this.opts.env.clock.now() < deadline;
      if (lost && !this.stopped) throw new InDoubt(NO_ANSWER);
      throw error;
    } finally {
      this.pending.delete(requestId);
    }
    if (answer.errorCode !== '') {
      copies.maybeAppended--; // refused: that copy was not appended
      throw new BatonError(answer.errorCode, `leader ${leaderId} refused the command`);
    }
    return {
      index: answer.index,
      outcome: await this.applied(answer.index, answer.entryTerm, deadline, signal),
    };
  }

  /**
   * Waits until the known leader differs from `from` (or until `atMostMs`,
   * by default `unsentRetryMs`, passed), the deadline passes
   * (BATON_UNAVAILABLE), `signal` aborts or the member stops. Returns at once
   * if it differs already: when a new leader replaced our entry, this member
   * learned of that leader before it applied the replacing entry. The time
   * bound is not only for links: onLeaderChange comes from reported soft
   * states, and a change that left no trace between two of them — a pre-vote
   * that ended (leader known, unknown, known again), or the refusing leader
   * elected again in a later term — wakes no waiter, so the caller looks
   * again anyway (else a lease grant could wait out its 10 s deadline with
   * the leader known).
   */
  private leaderChange(
    from: MemberId | undefined,
    deadline: number,
    signal: AbortSignal | undefined,
    atMostMs?: number,
  ): Promise<void> {
    this.throwIfStopped();
    if (this.opts.loop.status().leaderId !== from) return Promise.resolve();
    let wake: (() => void) | undefined;
    let timer: { cancel(): void } | undefined;
    const changed = new Promise<void>((resolve, reject) => {
      wake = () => {
        if (this.stopped) reject(stoppedError());
        else if (this.opts.loop.status().leaderId !== from) resolve();
        else this.leaderWaiters.add(wake!);
      };
      this.leaderWaiters.add(wake);
      timer = this.opts.env.timers.setTimeout(resolve, atMostMs ?? this.opts.unsentRetryMs);
    });
    const done = () => {
      this.leaderWaiters.delete(wake!);
      timer?.cancel();
    };
    return this.until(changed, deadline, signal, NO_LEADER, done).finally(done);
  }

  /** `withDeadline` against an absolute deadline on the runtime's clock. */
  private until<T>(
    p: Promise<T>,
    deadline: number,
    signal: AbortSignal | undefined,
    timeoutMessage: string,
    onGiveUp?: () => void,
  ): Promise<T> {
    const ms = Math.max(0, deadline - this.opts.env.clock.now());
    return withDeadline(p, {
      timers: this.opts.env.timers,
      ms,
      signal,
      timeoutMessage,
      ...(onGiveUp ? { onGiveUp } : {}),
    });
  }
}

/** A forwarded command the transport could not hand to the link: certainly not appended, safe to send again. */
class NotSent extends Error {}

/** A copy of a command whose outcome this member cannot know: sent again (the cluster applies it at most once). */
class InDoubt extends Error {}

/** The entry data that opens a client session. */
const REGISTER: Uint8Array = encodeEnvelope({ kind: 'register' });

function stoppedError(): BatonError {
  return new BatonError('BATON_STOPPED', 'the cluster member has stopped');
}

const NO_LEADER = 'no leader took the command in time';
const NO_ANSWER = 'the leader did not answer a forwarded command in time';
const NOT_APPLIED = 'the command was not applied here in time';
const NOT_READ = 'the read was not confirmed in time';
