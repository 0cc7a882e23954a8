import { LeaderLease } from '../raft/leader-lease.js';
import type { RawNode } from '../raft/raw-node.js';
import type { ReadFailure, ReadState, Ready, SoftState } from '../raft/ready.js';
import type { Entry, Message, Snapshot } from '../raft/types.js';
import type { PersistBatch } from '../storage/log-storage.js';

/**
 * What the driver needs from the member around it. The production runtime
 * (NodeLoop) and the simulator (SimMember) each give their own clock, disk,
 * network and state machine; the order in which a Ready is carried out is
 * the driver's alone.
 */
export interface ReadyDriverHost {
  /** The member's monotonic clock, ms: when a heartbeat round was taken for sending (the lease's start). */
  now(): number;
  /**
   * Writes a Ready's snapshot, entries and hard state, in that order, and
   * calls `done` once they are durable (when `batch.sync`) or written —
   * synchronously or later; `done(error)` if the write failed.
   */
  write(batch: PersistBatch, done: (error?: unknown) => void): void;
  /** Hands a message to the network; never throws. */
  send(m: Message): void;
  /** Replaces the state machine's state with a snapshot's. */
  restore(snapshot: Snapshot): void;
  /** Applies committed entries, in order. */
  apply(entries: readonly Entry[]): void;
  /** Read points a leader confirmed, and reads it could not. */
  reads(states: readonly ReadState[], failures: readonly ReadFailure[]): void;
  /** Role, term or leader changed: called before any message of that Ready leaves. */
  onSoftState(soft: SoftState): void;
  /**
   * The core may have changed in a way the host tracks (leadership): called
   * before a Ready's messages leave — so a token is aborted before the
   * TimeoutNow of a transfer is sent — and after each Ready is advanced.
   */
  onProgress(): void;
  /** A snapshot of the applied state if one is due now (the host resets its own count), else undefined. */
  snapshotDue(): Snapshot | undefined;
  /** Stores a snapshot the member took; `done` once it is durable. */
  saveSnapshot(snapshot: Snapshot, done: (error?: unknown) => void): void;
  /** A write failed: the member must stop. Nothing more is sent or applied after this. */
  fatal(error: unknown): void;
  /** Each Ready as it is taken (for traces). */
  onReady?(rd: Ready): void;
}

/**
 * Carries out the core's Readies one at a time, exactly as raft/ready.ts
 * orders them: note the lease round's time; send what the core lets leave at
 * once and apply the entries already durable; write; then send and apply what
 * persisted() releases; advance; take a snapshot when one is due. While a
 * write is under way, a leader's new appends and heartbeats still leave on
 * each pump() (RawNode.takeLeaderMessages): a slow fsync must not silence it past
 * its followers' election timeout. Every other input waits in the core and
 * goes out with the next Ready — group commit without a timer.
 *
 * Which messages may leave before a write is decided by the core, not here:
 * a driver cannot send a vote or an acknowledgement before its write.
 * Synchronous: a host whose disk answers at once is driven in one call to
 * pump(), which keeps the simulator fast.
 */
export class ReadyDriver {
  readonly lease: LeaderLease;
  private busy = false;
  private failed = false;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(
    private readonly node: RawNode,
    leaseMs: number,
    private readonly host: ReadyDriverHost,
  ) {
    this.lease = new LeaderLease({ leaseMs });
  }

  /** True while a Ready's write (or a snapshot's) is under way. */
  get isBusy(): boolean {
    return this.busy;
  }

  /** True once a write failed: nothing is sent, applied or written any more. */
  get isFailed(): boolean {
    return this.failed;
  }

  /** Carries out Readies until none is left or one waits for its write (then sends a leader's replication at once). */
  pump(): void {
    if (this.failed) return;
    if (this.busy) {
      this.sendLeaderMessagesNow();
      return;
    }
    try {
      let empty = 0;
      while (!this.failed && !this.busy && this.node.hasReady()) {
        const rd = this.node.ready();
        // A core that keeps saying it has work and hands out nothing is broken: stop rather than spin.
        empty = isEmpty(rd) ? empty + 1 : 0;
        if (empty > EMPTY_READIES_MAX) throw new Error(`the core handed out ${empty} empty Readies in a row`);
        this.begin(rd);
      }
    } catch (error) {
      // A Ready half carried out cannot be resumed (e.g. the state machine threw): stop.
      this.fail(error);
      return;
    }
    if (!this.busy) this.wakeIdle();
  }

  /** Calls `callback` once no write is under way (at once if none is). */
  onIdle(callback: () => void): void {
    if (!this.busy || this.failed) callback();
    else this.idleWaiters.push(callback);
  }

  private begin(rd: Ready): void {
    this.host.onReady?.(rd);
    // The round's clock is read before anything of this Ready is sent.
    this.lease.onReady(rd, this.node.status(), this.host.now());
    if (rd.softState) this.host.onSoftState(rd.softState);
    this.host.onProgress();
    for (const m of rd.messages) this.host.send(m);
    // Already durable: under load the write below is the fsync of newer
    // entries, and waiting for it would hold every answer back one disk round.
    if (rd.committedEntries.length > 0) this.host.apply(rd.committedEntries);
    if (!rd.snapshot && rd.entries.length === 0 && !rd.hardState) {
      this.finish(rd);
      return;
    }
    this.busy = true;
    let returned = false;
    this.host.write(writeOf(rd), (error) => {
      if (this.failed) return;
      if (error !== undefined) return this.fail(error);
      if (!returned) return this.finish(rd); // inside pump(), which carries on
      try {
        this.finish(rd);
      } catch (thrown) {
        return this.fail(thrown);
      }
      this.pump();
    });
    returned = true;
  }

  /** Steps 4 and 5 of the Ready contract, once the write is durable. */
  private finish(rd: Ready): void {
    const held = this.node.persisted(rd);
    for (const m of held.messages) this.host.send(m);
    if (rd.snapshot) this.host.restore(rd.snapshot);
    if (held.committedEntries.length > 0) this.host.apply(held.committedEntries);
    this.host.reads(rd.readStates, rd.readFailures);
    this.node.advance(rd);
    this.busy = false;
    this.host.onProgress();
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    const snapshot = this.host.snapshotDue();
    if (!snapshot) return;
    this.busy = true;
    let returned = false;
    this.host.saveSnapshot(snapshot, (error) => {
      if (this.failed) return;
      if (error !== undefined) return this.fail(error);
      // Entries it covers leave memory only once the snapshot is durable.
      this.node.compact(snapshot);
      this.busy = false;
      if (returned) this.pump();
    });
    returned = true;
  }

  private sendLeaderMessagesNow(): void {
    const { messages, heartbeatRound } = this.node.takeLeaderMessages();
    if (messages.length === 0) return;
    this.lease.onRoundTaken(heartbeatRound, this.node.status(), this.host.now());
    for (const m of messages) this.host.send(m);
  }

  /**
   * Stops the driver for good without a write having failed (the host found
   * another fatal problem, e.g. its disk lost acknowledged entries): nothing
   * is sent, applied or written any more, and a write under way is ignored.
   */
  halt(): void {
    this.failed = true;
    this.busy = false;
    this.wakeIdle();
  }

  private fail(error: unknown): void {
    this.halt();
    this.host.fatal(error);
  }

  private wakeIdle(): void {
    for (const wake of this.idleWaiters.splice(0)) wake();
  }
}

/** Empty Readies in a row that one pump() accepts (one may be legitimate, e.g. a read round with no one to ask). */
const EMPTY_READIES_MAX = 100;

function isEmpty(rd: Ready): boolean {
  return (
    rd.softState === undefined &&
    rd.hardState === undefined &&
    rd.snapshot === undefined &&
    rd.heartbeatRound === undefined &&
    rd.entries.length === 0 &&
    rd.messages.length === 0 &&
    rd.committedEntries.length === 0 &&
    rd.readStates.length === 0 &&
    rd.readFailures.length === 0
  );
}

function writeOf(rd: Ready): PersistBatch {
  return {
    ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
    entries: rd.entries,
    ...(rd.hardState ? { hardState: rd.hardState } : {}),
    sync: rd.mustSync,
  };
}
