import type { Env, Logger, TimerHandle } from '../env.js';
import { BatonError } from '../errors.js';
import type { RaftOptions } from '../raft/raft-options.js';
import { type RaftStatus, RawNode } from '../raft/raw-node.js';
import type { SoftState } from '../raft/ready.js';
import type { ClusterConfig, LogIndex, MemberId, Message, Snapshot, Term } from '../raft/types.js';
import { decodeEnvelope, encodeEnvelope } from '../state/command-envelope.js';
import type { AppliedOutcome } from '../state/sessioned-apply.js';
import type { LogStorage } from '../storage/log-storage.js';
import { Applier } from './applier.js';
import { Leadership } from './leadership.js';
import { ReadyDriver } from './ready-driver.js';
import type { StateMachine } from './state-machine.js';

/** After a stall, at most this many ticks are replayed at once. */
const TICK_CATCH_UP_MAX = 1000;

export interface NodeLoopOptions {
  /** Raft tuning; the randomness comes from `env`. */
  readonly raft: Omit<RaftOptions, 'random'>;
  /** Real time per tick. */
  readonly tickMs: number;
  /** See LeaderLeaseOptions.leaseMs. */
  readonly leaseMs: number;
  /** Take a snapshot (and compact the log) after this many applied entries. */
  readonly snapshotEntries: number;
  /** Largest command accepted: one entry must always fit in one peer frame. */
  readonly commandBytesMax: number;
  readonly env: Env;
  readonly storage: LogStorage;
  /** Hands a message to the transport; never throws. */
  readonly send: (m: Message) => void;
  readonly stateMachine: StateMachine;
  readonly logger: Logger;
  /** Role, term or leader changed. */
  readonly onSoftState?: (soft: SoftState) => void;
  /** Storage failed: the member cannot go on safely and has stopped. */
  readonly onFatal?: (error: unknown) => void;
}

/**
 * The runtime loop of one member: the only place that turns the pure Raft
 * core into effects. Ticks come from the monotonic clock, messages and
 * proposals step the core, and the ReadyDriver — the same one the simulator
 * runs — carries out each Ready in the order raft/ready.ts gives, one at a
 * time. Inputs that arrive while a Ready is being persisted accumulate in
 * the core and go out together in the next one, which is what batches many
 * proposals into one fsync (group commit).
 */
export class NodeLoop {
  readonly leadership: Leadership;
  private readonly node: RawNode;
  private readonly driver: ReadyDriver;
  private readonly applier: Applier;
  private lastTickAt: number;
  private stopped = false;
  private ticker: TimerHandle | undefined;
  /** A pump of the driver is queued (inputs of this turn of the event loop go out in one Ready). */
  private pumpScheduled: Promise<void> | undefined;

  private constructor(
    private readonly opts: NodeLoopOptions,
    node: RawNode,
    snapshot: Snapshot | undefined,
  ) {
    this.node = node;
    this.leadership = new Leadership(opts.env.clock, opts.env.timers);
    this.applier = new Applier(opts.stateMachine, snapshot, opts.raft.initialVoters);
    this.lastTickAt = opts.env.clock.now();
    this.driver = new ReadyDriver(node, opts.leaseMs, {
      now: () => opts.env.clock.now(),
      write: (batch, done) => settleWith(opts.storage.persist(batch), done),
      send: (m) => opts.send(m),
      restore: (s) => this.applier.restore(s),
      apply: (entries) => this.applier.applyEntries(entries),
      reads: (states, failures) => this.applier.settleReads(states, failures),
      onSoftState: (soft) => opts.onSoftState?.(soft),
      onProgress: () => this.refreshLeadership(),
      snapshotDue: () => this.snapshotDue(),
      saveSnapshot: (s, done) =>
        settleWith(opts.storage.saveSnapshot(s), (error) => {
          if (error === undefined) opts.logger.debug({ index: s.meta.index }, 'snapshot taken');
          done(error);
        }),
      fatal: (error) => this.fatal(error),
    });
  }

  /** Recovers from storage and starts ticking. */
  static async start(opts: NodeLoopOptions): Promise<NodeLoop> {
    const recovered = await opts.storage.load();
    const node = new RawNode({ ...opts.raft, random: opts.env.random }, recovered);
    const loop = new NodeLoop(opts, node, recovered.snapshot);
    loop.scheduleTick();
    loop.schedulePump();
    return loop;
  }

  get id(): MemberId {
    return this.node.id;
  }

  /** True once stop() ran or a fatal error stopped the loop: it neither steps, ticks nor sends any more. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * The core's status, with `appliedIndex` as far as the state machine has
   * applied: entries already durable are applied before the Ready's own write,
   * and the core learns of them only when that Ready is advanced.
   */
  status(): RaftStatus {
    const status = this.node.status();
    const appliedIndex = this.applier.appliedIndex;
    return appliedIndex > status.appliedIndex ? { ...status, appliedIndex } : status;
  }

  /** The configuration as of the last applied entry. */
  config(): ClusterConfig {
    return this.applier.appliedConfig;
  }

  /** A message from a peer. */
  step(m: Message): void {
    if (this.stopped) return;
    // After a stall, messages that arrived during it may run before the tick
    // timer does. The core must step them at the tick count of now: a
    // heartbeat stepped at an older count would start this member's refusal
    // of votes in the past, shorter than the leader's lease assumes.
    this.catchUpTicks();
    if (this.stopped) return; // the ticks may have ended in a fatal error
    this.node.step(m);
    this.afterInput();
  }

  /**
   * Proposes `payload` as a plain command (no client session: not
   * deduplicated, for callers that never retry) on this member, which must
   * lead. Resolves with the state machine's result once the entry is
   * committed and applied here; rejects BATON_NOT_LEADER if this member does
   * not lead or the entry is replaced by another leader's.
   */
  async propose(payload: Uint8Array): Promise<{ index: LogIndex; result: unknown }> {
    const { index, term } = this.append(encodeEnvelope({ kind: 'plain', payload }));
    const outcome = await this.awaitApplied(index, term).promise;
    if (outcome.kind !== 'ok') throw new BatonError('BATON_UNAVAILABLE', `command came to ${outcome.kind}`);
    return { index, result: outcome.result };
  }

  /**
   * Throws BATON_TOO_LARGE for a command over commandBytesMax (counting
   * `overheadBytes` of envelope around it): an entry that cannot travel in
   * one frame could never be replicated (or forwarded), and would hold back
   * every entry after it.
   */
  checkCommandSize(data: Uint8Array, overheadBytes = 0): void {
    if (data.byteLength + overheadBytes > this.opts.commandBytesMax) {
      throw new BatonError(
        'BATON_TOO_LARGE',
        `command of ${data.byteLength} bytes is over the ${this.opts.commandBytesMax - overheadBytes}-byte limit`,
      );
    }
  }

  /**
   * Leader only: appends a command entry (`data` is an encoded command
   * envelope, state/command-envelope.ts) and returns where, without waiting.
   * Throws BATON_PROTOCOL for data that is not an envelope (a command no
   * member could apply would stop them all), BATON_NOT_LEADER (nothing was
   * appended: safe to retry elsewhere) or BATON_UNAVAILABLE when too many
   * proposals are uncommitted.
   */
  append(data: Uint8Array): { index: LogIndex; term: Term } {
    this.throwIfStopped();
    this.checkCommandSize(data);
    decodeEnvelope(data);
    const res = this.node.propose(data);
    if (!res.ok) {
      if (res.reason === 'overloaded')
        throw new BatonError('BATON_UNAVAILABLE', 'too many uncommitted proposals');
      throw new BatonError('BATON_NOT_LEADER', `this member cannot propose now (${res.reason})`);
    }
    this.afterInput();
    return { index: res.index, term: res.term };
  }

  /**
   * Waits until this member has applied the entry (index, term): resolves
   * with its outcome, rejects BATON_NOT_LEADER if another entry was applied
   * there (the proposal was lost with its leader's term). `cancel` withdraws
   * the wait at once.
   */
  awaitApplied(index: LogIndex, term: Term): { promise: Promise<AppliedOutcome>; cancel(): void } {
    this.throwIfStopped();
    return this.applier.awaitApplied(index, term);
  }

  /**
   * A linearizable read point (ReadIndex): resolves with an index once this
   * member has applied at least everything committed when the read was made.
   * Rejects BATON_NOT_LEADER when no leader could confirm it, and
   * BATON_UNAVAILABLE after `timeoutMs` (e.g. the leader changed meanwhile).
   * `cancel` withdraws it at once.
   */
  read(timeoutMs: number): { promise: Promise<LogIndex>; cancel(): void } {
    this.throwIfStopped();
    const id = this.opts.env.newId();
    const done = this.applier.reads.add(id);
    const timer = this.opts.env.timers.setTimeout(
      () =>
        this.applier.reads.failed(
          id,
          new BatonError('BATON_UNAVAILABLE', 'the read was not confirmed in time'),
        ),
      timeoutMs,
    );
    this.node.readIndex(id);
    this.afterInput();
    const cancel = () => {
      timer.cancel();
      this.applier.reads.withdraw(id);
    };
    return { promise: done.finally(() => timer.cancel()), cancel };
  }

  /** Hands leadership to another voter (the most caught-up one when `to` is omitted). */
  transferLeadership(to?: MemberId): MemberId | undefined {
    const target = to ?? this.node.mostCaughtUpVoter();
    if (target !== undefined) {
      this.node.transferLeadership(target);
      this.afterInput();
    }
    return target;
  }

  /** Waits until every Ready produced so far is carried out. */
  async settle(): Promise<void> {
    for (;;) {
      if (this.pumpScheduled) await this.pumpScheduled;
      else if (this.driver.isBusy) await new Promise<void>((resolve) => this.driver.onIdle(resolve));
      else return;
    }
  }

  /** Stops ticking and applying; pending requests fail with BATON_STOPPED. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker?.cancel();
    this.leadership.stop();
    await this.settle();
    // Say what the core still has to say — a vote granted during a hand-over,
    // an acknowledgement — before the transport closes. Not after a fatal
    // error: a member whose storage failed must not vouch for anything.
    this.driver.pump();
    await this.settle();
    const error = new BatonError('BATON_STOPPED', 'the cluster member has stopped');
    this.applier.rejectAll(error);
  }

  private throwIfStopped(): void {
    if (this.stopped) throw new BatonError('BATON_STOPPED', 'the cluster member has stopped');
  }

  private scheduleTick(): void {
    this.ticker = this.opts.env.timers.setTimeout(() => {
      if (this.stopped) return;
      this.catchUpTicks();
      this.scheduleTick();
    }, this.opts.tickMs);
  }

  /**
   * Gives the core the ticks that are due by the monotonic clock. Ticks are
   * counted from the clock, not from timer firings: a timer may fire a
   * little early (libuv's cached loop time) or very late (a stalled event
   * loop). The core must never count more time than really passed — its
   * leader stickiness is what the leader lease rests on — and counting what
   * did pass keeps elections prompt after a stall.
   */
  private catchUpTicks(): void {
    const now = this.opts.env.clock.now();
    const due = Math.min(Math.floor((now - this.lastTickAt) / this.opts.tickMs), TICK_CATCH_UP_MAX);
    if (due <= 0) return;
    this.lastTickAt = due === TICK_CATCH_UP_MAX ? now : this.lastTickAt + due * this.opts.tickMs;
    for (let i = 0; i < due; i++) this.node.tick();
    this.afterInput();
  }

  private afterInput(): void {
    const lost = this.node.lostEntries();
    if (lost && !this.stopped) {
      this.fatal(
        new BatonError(
          'BATON_STORAGE_CORRUPT',
          `this member acknowledged entries up to ${lost.commit} to leader ${lost.leaderId} (term ${lost.term}) ` +
            `but its log ends at ${lost.lastIndex}: its disk lost acknowledged data`,
        ),
      );
      return;
    }
    this.refreshLeadership();
    this.schedulePump();
  }

  private refreshLeadership(): void {
    const status = this.node.status();
    this.leadership.update({
      status,
      leaseUntil: this.driver.lease.validUntil(status),
      appliedOwnTerm: this.applier.lastAppliedTerm === status.term,
    });
  }

  /**
   * Carries out the core's Readies in a microtask, so that every input of
   * this turn of the event loop goes out together: in one Ready, or, while a
   * write is under way, in one batch of a leader's replication (which leaves
   * without waiting for the disk). Proposals of one turn then travel in one
   * append per follower (the core extends an append not yet taken) instead
   * of one each, with one answer each.
   */
  private schedulePump(): void {
    if (this.stopped || this.pumpScheduled || !this.node.hasReady()) return;
    this.pumpScheduled = new Promise((resolve) => {
      queueMicrotask(() => {
        this.pumpScheduled = undefined;
        if (!this.stopped) this.driver.pump();
        resolve();
      });
    });
  }

  /** The applied state as a snapshot, when enough entries were applied since the last one. */
  private snapshotDue(): Snapshot | undefined {
    if (this.applier.sinceSnapshot < this.opts.snapshotEntries) return undefined;
    this.applier.sinceSnapshot = 0;
    return this.applier.snapshot();
  }

  private fatal(error: unknown): void {
    this.driver.halt();
    if (this.stopped) {
      this.opts.logger.warn({ err: error }, 'a write failed while stopping');
      return;
    }
    this.opts.logger.error({ err: error }, 'member stopped: its storage failed or lost data');
    void this.stop();
    this.opts.onFatal?.(error);
  }
}

/** Calls `done` when `p` settles: with nothing on success, with the reason (never undefined) on failure. */
function settleWith(p: Promise<void>, done: (error?: unknown) => void): void {
  p.then(
    () => done(),
    (error: unknown) => done(error ?? new Error('storage failed without a reason')),
  );
}
