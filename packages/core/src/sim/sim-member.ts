import { applyConfigChange, initialConfig } from '../raft/membership.js';
import type { RaftOptions } from '../raft/raft-options.js';
import { type ProposeResult, type RaftStatus, RawNode } from '../raft/raw-node.js';
import type {
  ClusterConfig,
  ConfigChange,
  Entry,
  LogIndex,
  MemberId,
  Message,
  Snapshot,
  SnapshotMeta,
} from '../raft/types.js';
import { ReadyDriver } from '../runtime/ready-driver.js';
import type { PersistBatch } from '../storage/log-storage.js';
import { checkDataDirIdentity, identityOf } from '../storage/member-identity.js';
import type { AppliedRecord } from './apply-checker.js';
import { describeReady } from './describe.js';
import { InvariantViolation } from './invariant-violation.js';
import type { MemberView } from './member-view.js';
import type { Rng } from './rng.js';
import type { LocalClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { SimStateMachine } from './sim-state-machine.js';

/** What a member needs from the simulator around it. */
export interface MemberHost {
  /** Global simulated time, µs. */
  nowUs(): number;
  scheduleTick(atUs: number, member: MemberId, incarnation: number): void;
  scheduleFsync(atUs: number, member: MemberId, incarnation: number, syncId: number): void;
  /** The end of this incarnation's turn at `atUs`: then call onPump. */
  schedulePump(atUs: number, member: MemberId, incarnation: number): void;
  /** A crash of this incarnation at `atUs` (used to cut an fsync short). */
  scheduleCrash(atUs: number, member: MemberId, incarnation: number): void;
  /** A message member `from` hands to the network. */
  send(from: MemberId, message: Message): void;
  onApply(member: MemberId, record: AppliedRecord): void;
  onRestore(member: MemberId, index: LogIndex, stateHash: string): void;
  onReadState(member: MemberId, requestId: string, index: LogIndex): void;
  onReadFailure(member: MemberId, requestId: string): void;
  trace(line: string): void;
}

/** How one simulated member is set up. */
export interface SimMemberConfig {
  readonly id: MemberId;
  readonly voters: readonly MemberId[];
  /** Raft tuning; id, initialVoters and random are filled in per incarnation. */
  readonly raft: Omit<RaftOptions, 'id' | 'initialVoters' | 'random'>;
  /** Length of one tick on the member's own clock. */
  readonly tickMs: number;
  /** The leader lease length on the member's own clock (see raft/leader-lease.ts). */
  readonly leaseMs: number;
  /** Take a snapshot and compact the log every this many applied entries; 0 never. */
  readonly snapshotEvery: number;
  /** fsync takes a uniform latency in [min, max] µs. */
  readonly fsyncMinUs: number;
  readonly fsyncMaxUs: number;
  /**
   * Undefined: the driver runs after every input. Otherwise inputs share
   * turns, as in NodeLoop: the driver runs once at the end of a turn, a
   * uniform [0, turnWindowUsMax] µs after its first input.
   */
  readonly turnWindowUsMax: number | undefined;
  readonly clock: LocalClock;
  /** This member's own random stream (raft timeouts, fsync latencies). */
  readonly rng: Rng;
}

interface Running {
  readonly node: RawNode;
  /** The production Ready driver (runtime/ready-driver.ts), on this member's clock and disk. */
  readonly driver: ReadyDriver;
  sm: SimStateMachine;
  /** The configuration in force at sm.appliedIndex, for the snapshots this member takes. */
  appliedConfig: ClusterConfig;
  /** The snapshot the log was last compacted to or restored from. */
  snapshotMeta: SnapshotMeta | undefined;
  /** The fsync under way (at most one: the driver writes one Ready at a time), and what to call when it ends. */
  inFlight: { readonly syncId: number; readonly done: () => void } | undefined;
  nextTickLocalMs: number;
  /** The end of the current turn is scheduled (inputTurns). */
  turnOpen: boolean;
}

/**
 * One simulated member: the production Raft core driven by the production
 * ReadyDriver — the same code that carries out Readies in NodeLoop — with the
 * simulator's clock, disk and network. A write is durable only once its
 * fsync event fires; a crash before that loses it. While an fsync is in
 * flight the member keeps ticking and receiving, and the driver sends only
 * what the core lets leave before a write. With turns, as in NodeLoop, the
 * driver runs once after all the inputs of a turn, so the core merges the
 * turn's proposals into one append per follower.
 */
export class SimMember {
  readonly id: MemberId;
  readonly clock: LocalClock;
  /** Its dataDir; swapDiskWith() models a swapped mount or a copied volume. */
  disk: SimDisk = new SimDisk();
  /** Bumped at every start and crash; events of an older incarnation are stale. */
  incarnation = 0;
  /** When set, the next fsync this member starts is cut short by a crash. */
  crashDuringNextSync = false;
  private readonly config: SimMemberConfig;
  private readonly host: MemberHost;
  private readonly diskRng: Rng;
  private readonly turnRng: Rng;
  private running: Running | undefined;

  constructor(config: SimMemberConfig, host: MemberHost) {
    this.id = config.id;
    this.clock = config.clock;
    this.config = config;
    this.host = host;
    this.diskRng = config.rng.fork('disk');
    this.turnRng = config.rng.fork('turns');
  }

  get up(): boolean {
    return this.running !== undefined;
  }

  /** The Raft status, or undefined while crashed. */
  status(): RaftStatus | undefined {
    return this.running?.node.status();
  }

  /** The term of the entry at `index` in this member's log; undefined if crashed, compacted or beyond the end. */
  termAt(index: LogIndex): number | undefined {
    return this.running?.node.termAt(index);
  }

  /** The state machine, or undefined while crashed. */
  stateMachine(): SimStateMachine | undefined {
    return this.running?.sm;
  }

  /**
   * Boots (or reboots) from whatever the disk made durable. Throws
   * BATON_CONFIG, and stays down, when the disk belongs to another member
   * (the same check FileStorage makes on a dataDir).
   */
  start(): void {
    if (this.running) return;
    const durable = this.disk.recover();
    const expected = identityOf(this.id, '', this.config.voters);
    const holdsLog = durable.entries.length > 0 || durable.snapshot !== undefined;
    const decision = checkDataDirIdentity(`sim:${this.id}`, this.disk.identity, expected, holdsLog);
    if (decision.action === 'refuse') {
      this.host.trace(`${this.id} refuses to start: ${decision.error.message}`);
      throw decision.error;
    }
    if (decision.action === 'record') this.disk.identity = expected;
    this.incarnation++;
    const random = this.config.rng.fork(`raft#${this.incarnation}`);
    const node = new RawNode(
      { ...this.config.raft, id: this.id, initialVoters: this.config.voters, random: () => random.float() },
      durable,
    );
    const snapshot = durable.snapshot;
    const sm = SimStateMachine.restore(snapshot);
    const nowLocal = this.clock.localMs(this.host.nowUs());
    const run: Running = {
      node,
      driver: new ReadyDriver(node, this.config.leaseMs, {
        now: () => this.clock.localMs(this.host.nowUs()),
        write: (batch, done) => this.write(run, batch, done),
        send: (m) => this.host.send(this.id, m),
        restore: (s) => this.restoreSnapshot(run, s),
        apply: (entries) => this.apply(run, entries),
        reads: (states, failures) => {
          for (const r of states) this.host.onReadState(this.id, r.requestId, r.index);
          for (const r of failures) this.host.onReadFailure(this.id, r.requestId);
        },
        onSoftState: () => {},
        onProgress: () => {},
        snapshotDue: () => this.snapshotDue(run),
        saveSnapshot: (s, done) => {
          run.snapshotMeta = s.meta;
          // Durable with the next fsync; until then a crash simply keeps the longer log.
          this.disk.write({ kind: 'compact', snapshot: s });
          this.host.trace(`${this.id} compact to ${s.meta.index}/${s.meta.term}`);
          done();
        },
        fatal: (error) => {
          throw error;
        },
        onReady: (rd) => this.host.trace(`${this.id} ready ${describeReady(rd)}`),
      }),
      sm,
      appliedConfig: snapshot?.meta.config ?? initialConfig(this.config.voters),
      snapshotMeta: snapshot?.meta,
      inFlight: undefined,
      turnOpen: false,
      nextTickLocalMs:
        nowLocal + this.config.rng.fork(`phase#${this.incarnation}`).real(0, this.config.tickMs),
    };
    this.running = run;
    this.host.trace(
      `${this.id} start #${this.incarnation} hs ${fmtHard(durable)} snap ${snapshot?.meta.index ?? 0} ents ${durable.entries.length}`,
    );
    if (snapshot) this.host.onRestore(this.id, snapshot.meta.index, sm.stateHash);
    this.scheduleNextTick();
    run.driver.pump();
  }

  /** Exchanges disks with another member (both down): a swapped mount, a copied volume. */
  swapDiskWith(other: SimMember): void {
    if (this.running || other.running) throw new Error('swap disks only while both members are down');
    [this.disk, other.disk] = [other.disk, this.disk];
  }

  /** Power loss: the process and every unsynced write are gone. */
  crash(): void {
    if (!this.running) return;
    this.running = undefined;
    this.incarnation++;
    this.crashDuringNextSync = false;
    const lost = this.disk.unsyncedCount;
    this.disk.crash();
    this.host.trace(`${this.id} crash, ${lost} unsynced writes lost`);
  }

  /** A tick of this member's local clock came due. */
  onTick(incarnation: number): void {
    const run = this.running;
    if (!run || incarnation !== this.incarnation) return;
    run.node.tick();
    run.nextTickLocalMs += this.config.tickMs;
    this.scheduleNextTick();
    this.afterInput(run);
  }

  /** The fsync `syncId` finished: the in-flight Ready is durable, so carry on with it. */
  onFsyncDone(incarnation: number, syncId: number): void {
    const run = this.running;
    if (!run || incarnation !== this.incarnation || run.inFlight?.syncId !== syncId) return;
    this.disk.completeSync(syncId);
    const { done } = run.inFlight;
    run.inFlight = undefined;
    done(); // the driver carries on with the Ready, and with the next ones
  }

  /** The turn `incarnation` opened has ended: the driver carries out what its inputs produced. */
  onPump(incarnation: number): void {
    const run = this.running;
    if (!run || incarnation !== this.incarnation) return;
    run.turnOpen = false;
    run.driver.pump();
  }

  /** A message arrived from the network (dropped while crashed). */
  deliver(message: Message): void {
    const run = this.running;
    if (!run) return;
    run.node.step(message);
    this.afterInput(run);
  }

  /** A client proposes `data` here; undefined while crashed. */
  propose(data: Uint8Array): ProposeResult | undefined {
    const run = this.running;
    if (!run) return undefined;
    const result = run.node.propose(data);
    this.afterInput(run);
    return result;
  }

  /** Asks for a linearizable read point; the answer reaches the host through onReadState/onReadFailure. */
  readIndex(requestId: string): boolean {
    const run = this.running;
    if (!run) return false;
    run.node.readIndex(requestId);
    this.afterInput(run);
    return true;
  }

  /** A single-server membership change proposed here; undefined while crashed. */
  proposeConfigChange(change: ConfigChange): ProposeResult | undefined {
    const run = this.running;
    if (!run) return undefined;
    const result = run.node.proposeConfigChange(change);
    this.afterInput(run);
    return result;
  }

  /** Asks this member, if it leads, to hand leadership to `to`. */
  transferLeadership(to: MemberId): void {
    const run = this.running;
    if (!run) return;
    run.node.transferLeadership(to);
    this.afterInput(run);
  }

  /** Global µs until which this member holds a valid leader lease; -Infinity if none or crashed. */
  leaseUntilUs(): number {
    const run = this.running;
    if (!run) return Number.NEGATIVE_INFINITY;
    return this.clock.globalUs(run.driver.lease.validUntil(run.node.status()));
  }

  /** What the checkers see of this member now. */
  view(): MemberView {
    const run = this.running;
    if (!run) {
      return {
        id: this.id,
        up: false,
        role: 'follower',
        term: 0,
        commitIndex: 0,
        snapshotIndex: 0,
        snapshotTerm: 0,
        entries: [],
        leaseUntilUs: Number.NEGATIVE_INFINITY,
      };
    }
    const status = run.node.status();
    const meta = run.snapshotMeta;
    const snapshotTerm = (meta?.index ?? 0) === status.snapshotIndex ? (meta?.term ?? 0) : undefined;
    return {
      id: this.id,
      up: true,
      role: status.role,
      term: status.term,
      commitIndex: status.commitIndex,
      snapshotIndex: status.snapshotIndex,
      snapshotTerm,
      entries: run.node.entries(),
      leaseUntilUs: this.clock.globalUs(run.driver.lease.validUntil(status)),
    };
  }

  private scheduleNextTick(): void {
    const run = this.running;
    if (!run) return;
    const atUs = Math.max(this.host.nowUs(), this.clock.globalUsCeil(run.nextTickLocalMs));
    this.host.scheduleTick(atUs, this.id, this.incarnation);
  }

  /**
   * After an input: the driver runs at once, or (with turns) at the end of
   * the turn, which the first input with something to carry out opens —
   * NodeLoop.schedulePump, with virtual time instead of a microtask.
   */
  private afterInput(run: Running): void {
    // Production stops such a member with BATON_STORAGE_CORRUPT (NodeLoop); these disks lose only
    // unsynced writes, so here it is a durability bug.
    const lost = run.node.lostEntries();
    if (lost) {
      throw new InvariantViolation(
        'acked-entries-kept',
        `${this.id} acknowledged entries up to ${lost.commit} to ${lost.leaderId} (term ${lost.term}) but its log ends at ${lost.lastIndex}`,
      );
    }
    const windowUsMax = this.config.turnWindowUsMax;
    if (windowUsMax === undefined) {
      run.driver.pump();
      return;
    }
    if (run.turnOpen || !run.node.hasReady()) return;
    run.turnOpen = true;
    const atUs = this.host.nowUs() + (windowUsMax > 0 ? this.turnRng.int(0, windowUsMax) : 0);
    this.host.schedulePump(atUs, this.id, this.incarnation);
  }

  /** The driver's write: buffered on the disk at once, durable when its fsync event fires (if it must sync). */
  private write(run: Running, batch: PersistBatch, done: () => void): void {
    if (batch.snapshot) this.disk.write({ kind: 'snapshot', snapshot: batch.snapshot });
    if (batch.entries.length > 0) this.disk.write({ kind: 'entries', entries: batch.entries });
    if (batch.hardState) this.disk.write({ kind: 'hardState', hardState: batch.hardState });
    if (!batch.sync) {
      done();
      return;
    }
    const nowUs = this.host.nowUs();
    const syncId = this.disk.beginSync();
    run.inFlight = { syncId, done };
    const latencyUs = this.diskRng.int(this.config.fsyncMinUs, this.config.fsyncMaxUs);
    this.host.scheduleFsync(nowUs + latencyUs, this.id, this.incarnation, syncId);
    if (this.crashDuringNextSync) {
      this.crashDuringNextSync = false;
      // Crash strictly between the write and the end of its fsync.
      this.host.scheduleCrash(nowUs + this.diskRng.int(0, latencyUs - 1), this.id, this.incarnation);
    }
  }

  private apply(run: Running, entries: readonly Entry[]): void {
    for (const entry of entries) {
      const record = run.sm.apply(entry);
      if (entry.type === 'config') run.appliedConfig = applyConfigChange(run.appliedConfig, entry.change);
      this.host.onApply(this.id, record);
    }
  }

  private restoreSnapshot(run: Running, snapshot: Snapshot): void {
    run.sm = SimStateMachine.restore(snapshot);
    run.appliedConfig = snapshot.meta.config;
    run.snapshotMeta = snapshot.meta;
    this.host.onRestore(this.id, snapshot.meta.index, run.sm.stateHash);
  }

  /** A snapshot of the applied state every `snapshotEvery` applied entries. */
  private snapshotDue(run: Running): Snapshot | undefined {
    const every = this.config.snapshotEvery;
    const compactedTo = run.snapshotMeta?.index ?? 0;
    if (every <= 0 || run.sm.appliedIndex - compactedTo < every) return undefined;
    return {
      meta: { index: run.sm.appliedIndex, term: run.sm.appliedTerm, config: run.appliedConfig },
      data: run.sm.takeSnapshotData(),
    };
  }
}

function fmtHard(durable: {
  hardState?: { term: number; vote: MemberId | undefined; commit: number } | undefined;
}): string {
  const hs = durable.hardState;
  return hs ? `t${hs.term} v ${hs.vote ?? '-'} c${hs.commit}` : '-';
}
