import type { Env } from '../../env.js';
import type { MemberId } from '../../raft/types.js';
import type { Forwarder } from '../../runtime/forwarder.js';
import type { NodeLoop } from '../../runtime/node-loop.js';
import type { MemoryStorage } from '../../storage/memory-storage.js';
import type { EventQueue } from '../event-queue.js';
import type { LocalClock, SimClock } from '../sim-clock.js';
import type { DelayedDisk } from './delayed-disk.js';
import type { DurableApplyCheck } from './durable-apply-check.js';
import type { KvRegisterMachine } from './kv-register-machine.js';
import type { MemberCoordination } from './member-coordination.js';
import { functionLabel, type SimJob } from './member-env.js';
import type { RoutedMachine } from './routed-machine.js';

/** A running member incarnation's coordination services and Env, for workloads that run inside it. */
export interface MemberServices extends MemberCoordination {
  readonly incarnation: number;
  readonly env: Env;
}

/** One member of a RuntimeSim: what survives a crash (clock, durable storage) and its running incarnation. */
export interface SimMember {
  readonly id: MemberId;
  readonly clock: LocalClock;
  /** What the member's disk holds durably. */
  storage: MemoryStorage;
  /** The running incarnation's disk, with its writes in flight. */
  disk: DelayedDisk | undefined;
  loop: NodeLoop | undefined;
  /** Why the running incarnation's loop stopped itself (a failed write, lost acknowledged entries), if it did. */
  fatal: unknown;
  /** The running incarnation's state machine. */
  stateMachine: DurableApplyCheck;
  /** The registers of the write-path workload, inside `stateMachine`. */
  kv: KvRegisterMachine;
  /** The registers and the coordination state, inside `stateMachine` (undefined before the first start). */
  routed: RoutedMachine | undefined;
  /** The running incarnation's forwarder (as Cluster builds it): proposals and reads through the leader. */
  forwarder: Forwarder | undefined;
  /** The running incarnation's coordination surface and lease service (as Cluster builds them). */
  services: MemberCoordination | undefined;
  /** The running incarnation's Env (its clock and timers). */
  env: Env | undefined;
  /** Called once when the running incarnation crashes. */
  onCrash: (() => void)[];
  /** Bumped on every crash, so events of a dead incarnation are dropped. */
  incarnation: number;
  /** A stalled event loop: its events wait until this global time. */
  pausedUntilUs: number;
  /** When the current pause ends, I/O runs before the timers that fell due (see afterPause). */
  ioFirstAfterPause: boolean;
  /** Extra time every persist takes on this member's disk (a slow or stalling fsync), ms. */
  diskDelayMs: number;
}

/**
 * A job of one member incarnation: never run once it died, deferred while
 * it is paused (timers and I/O in the order the pause drew).
 */
export class MemberJob implements SimJob {
  constructor(
    private readonly clock: SimClock,
    private readonly queue: EventQueue<SimJob>,
    private readonly m: SimMember,
    private readonly incarnation: number,
    private readonly job: SimJob,
    private readonly kind: 'io' | 'timer',
  ) {}

  run(): void {
    if (this.dead()) return;
    const m = this.m;
    if (m.pausedUntilUs > this.clock.nowUs) {
      // One microsecond later is enough to put the other kind first; order within a kind is kept.
      const second = (this.kind === 'timer') === m.ioFirstAfterPause;
      this.queue.push(m.pausedUntilUs + (second ? 1 : 0), this);
      return;
    }
    this.job.run();
  }

  dead(): boolean {
    return this.m.incarnation !== this.incarnation || !this.m.loop || this.job.dead?.() === true;
  }

  label(): string {
    const what = this.job.label?.() ?? functionLabel(this.job.run);
    return `${this.m.id} ${this.kind} ${what}`;
  }
}
