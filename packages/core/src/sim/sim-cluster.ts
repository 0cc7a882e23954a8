import { encodeMessage } from '../codec/message-codec.js';
import { isRaftMessage } from '../peer-message.js';
import type { ProposeResult, RaftStatus } from '../raft/raw-node.js';
import type { ClusterConfig, ConfigChange, MemberId, Message } from '../raft/types.js';
import { SafetyCheckers } from './checkers.js';
import { describeMessage } from './describe.js';
import { EventQueue } from './event-queue.js';
import type { MemberView } from './member-view.js';
import { checkSender, decodeOnLink } from './peer-frames.js';
import { formatSeed, Rng } from './rng.js';
import { SimClient } from './sim-client.js';
import { pickLocalClock, SimClock, US_PER_MS } from './sim-clock.js';
import type { SimEvent } from './sim-events.js';
import { type MemberHost, SimMember } from './sim-member.js';
import { SimNetwork } from './sim-network.js';
import {
  describeOptions,
  leaseMsFor,
  type ResolvedSimulatorOptions,
  resolveSimulatorOptions,
  type SimulatorOptions,
} from './sim-options.js';
import { Trace } from './trace.js';

const encoder = new TextEncoder();

/** Bounds for `runUntil`. */
export interface RunUntilOptions {
  /** Give up after this many ticks of global time. */
  readonly ticksMax: number;
}

/**
 * A simulated Raft cluster and the scripting API over it: members running the
 * production raft/ core on drifting local clocks, a seeded network, crash-prone
 * disks, one event queue in global virtual time, and the invariant checkers
 * run on every member an event touched, right after the event. Everything
 * random follows from `options.seed`. Scripts drive it with runFor/runUntil,
 * partitions, crashes, restarts and client requests; `Simulator` adds the
 * randomized run on top.
 */
export class SimCluster {
  readonly options: ResolvedSimulatorOptions;
  readonly ids: readonly MemberId[];
  readonly trace: Trace;
  readonly network: SimNetwork;
  readonly checkers: SafetyCheckers = new SafetyCheckers();
  readonly client: SimClient;
  /** One tick in global µs (members' ticks differ by their clock drift). */
  readonly tickUs: number;
  /** The seed's root stream; subclasses fork their own streams from it. */
  protected readonly rootRng: Rng;
  /** Whether crashes scheduled inside an fsync and scheduled restarts still happen. */
  protected faultsOn = true;
  private readonly clock = new SimClock();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly members = new Map<MemberId, SimMember>();
  private eventCount = 0;

  constructor(options: SimulatorOptions) {
    this.rootRng = Rng.fromSeed(options.seed);
    const root = this.rootRng;
    this.options = resolveSimulatorOptions(options, root.fork('options'));
    const o = this.options;
    this.tickUs = o.tickMs * US_PER_MS;
    this.ids = Array.from({ length: o.members }, (_, i) => `n${i + 1}`);
    this.trace = new Trace(o.traceLinesMax);
    this.network = new SimNetwork(this.ids, root.fork('network'), o.network);
    this.client = new SimClient(this.checkers);
    const host = this.memberHost();
    this.ids.forEach((id, position) => {
      const raft = {
        ...o.raft,
        heartbeatTicks: o.heartbeatTicks,
        electionTicks: o.electionTicks,
        electionTicksMax: o.electionTicksMax,
      };
      const clock = pickLocalClock(root.fork(`clock:${id}`), o.driftMax, o.clockRates?.[position]);
      const config = {
        id,
        voters: this.ids,
        raft,
        tickMs: o.tickMs,
        leaseMs: leaseMsFor(o),
        snapshotEvery: o.snapshotEvery,
        fsyncMinUs: o.fsyncMinUs,
        fsyncMaxUs: o.fsyncMaxUs,
        turnWindowUsMax: o.inputTurns ? o.turnWindowUsMax : undefined,
        clock,
        rng: root.fork(`member:${id}`),
      };
      this.members.set(id, new SimMember(config, host));
    });
    const clocks = [...this.members.values()].map((m) => `${m.id}@${m.clock.rate.toFixed(4)}`).join(' ');
    this.trace.add(0, `sim seed=${formatSeed(o.seed)} ${describeOptions(o)} clocks ${clocks}`);
    // Boot without the subclass hooks: a subclass's fields do not exist yet while this constructor runs.
    for (const m of this.members.values()) {
      m.start();
      this.checkers.observe(m.view(), this.nowUs);
    }
  }

  /** Global simulated time, µs. */
  get nowUs(): number {
    return this.clock.nowUs;
  }

  /** Events processed so far. */
  get events(): number {
    return this.eventCount;
  }

  /** The simulated member `id` (throws RangeError for an unknown id). */
  member(id: MemberId): SimMember {
    const m = this.members.get(id);
    if (!m) throw new RangeError(`no member ${id}`);
    return m;
  }

  /** The member's Raft status, or undefined while it is crashed. */
  status(id: MemberId): RaftStatus | undefined {
    return this.member(id).status();
  }

  isUp(id: MemberId): boolean {
    return this.member(id).up;
  }

  /** The running member that believes it leads in the highest term, if any. */
  leader(): MemberId | undefined {
    let best: RaftStatus | undefined;
    for (const m of this.members.values()) {
      const s = m.status();
      if (s?.role === 'leader' && (best === undefined || s.term > best.term)) best = s;
    }
    return best?.id;
  }

  // ---- running -----------------------------------------------------------

  /** Processes every event of the next `ticks` ticks of global time. */
  runFor(ticks: number): void {
    const deadlineUs = this.clock.nowUs + ticks * this.tickUs;
    while (this.runOne(deadlineUs));
    this.clock.advanceTo(deadlineUs);
  }

  /**
   * Processes events until `predicate` holds (checked after every event) or
   * `ticksMax` ticks of global time pass. Returns whether it holds.
   */
  runUntil(predicate: () => boolean, options: RunUntilOptions): boolean {
    if (predicate()) return true;
    const deadlineUs = this.clock.nowUs + options.ticksMax * this.tickUs;
    while (this.runOne(deadlineUs)) if (predicate()) return true;
    this.clock.advanceTo(deadlineUs);
    return predicate();
  }

  // ---- scripting API: faults and clients ---------------------------------

  /** Symmetric split: `side` and everybody else stop hearing each other. */
  split(side: readonly MemberId[]): void {
    this.network.split(side);
    this.note(`partition ${this.network.partition}`);
  }

  /** Cuts `id` off in both directions. */
  isolate(id: MemberId): void {
    this.network.isolate(id);
    this.note(`partition ${this.network.partition}`);
  }

  /** `to` stops hearing `from` (`from` still hears `to`). */
  cutOneWay(from: MemberId, to: MemberId): void {
    this.network.cutOneWay(from, to);
    this.note(`partition ${this.network.partition}`);
  }

  /** `bridge` hears both halves; the halves do not hear each other. */
  bridge(bridge: MemberId, halfA: readonly MemberId[], halfB: readonly MemberId[]): void {
    this.network.bridge(bridge, halfA, halfB);
    this.note(`partition ${this.network.partition}`);
  }

  heal(): void {
    this.network.heal();
    this.note('heal');
  }

  /** Power loss on `id`: unsynced writes are lost; it stays down until restarted. */
  crash(id: MemberId): void {
    const m = this.member(id);
    if (!m.up) return;
    m.crash();
    this.client.onCrash(id);
    this.check(id);
  }

  /**
   * Exchanges the disks of two crashed members (a swapped mount, a copied
   * volume): a restart on the other's disk is refused with BATON_CONFIG.
   */
  swapDisks(a: MemberId, b: MemberId): void {
    this.member(a).swapDiskWith(this.member(b));
    this.note(`swap disks ${a} <> ${b}`);
  }

  /** Boots `id` from its disk (no-op if it is running); throws BATON_CONFIG if the disk is another member's. */
  restart(id: MemberId): void {
    const m = this.member(id);
    if (m.up) return;
    m.start();
    this.check(id);
  }

  scheduleRestart(id: MemberId, afterUs: number): void {
    this.schedule(this.nowUs + afterUs, { kind: 'restart', member: id });
  }

  armCrashDuringSync(id: MemberId): void {
    this.member(id).crashDuringNextSync = true;
  }

  /** A client proposes the text `command` on member `id`; undefined if it is down. */
  propose(id: MemberId, command: string): ProposeResult | undefined {
    const result = this.member(id).propose(encoder.encode(command));
    this.client.proposed(id, command, result);
    const outcome =
      result === undefined ? 'down' : result.ok ? `ok ${result.index}/${result.term}` : result.reason;
    this.note(`client propose ${command} on ${id}: ${outcome}`);
    this.check(id);
    return result;
  }

  /** A client asks `id` for a linearizable read point; checked against the writes acknowledged so far. */
  read(id: MemberId, requestId: string): void {
    this.checkers.apply.onReadRequested(requestId);
    this.note(`client read ${requestId} on ${id}`);
    if (!this.member(id).readIndex(requestId)) this.checkers.apply.onReadFailed(requestId);
    this.check(id);
  }

  /** The membership in force on `id`, or undefined while it is down. */
  config(id: MemberId): ClusterConfig | undefined {
    return this.status(id)?.config;
  }

  /** Proposes a single-server membership change on member `id`; undefined if it is down. */
  proposeConfigChange(id: MemberId, change: ConfigChange): ProposeResult | undefined {
    const result = this.member(id).proposeConfigChange(change);
    const outcome =
      result === undefined ? 'down' : result.ok ? `ok ${result.index}/${result.term}` : result.reason;
    this.note(`config ${change.op} ${change.id} on ${id}: ${outcome}`);
    this.check(id);
    return result;
  }

  transferLeadership(from: MemberId, to: MemberId): void {
    this.note(`transfer ${from} -> ${to}`);
    this.member(from).transferLeadership(to);
    this.check(from);
  }

  /** Adds a line to the trace (scripts may annotate their steps). */
  note(line: string): void {
    this.trace.add(this.nowUs, line);
  }

  // ---- internals ---------------------------------------------------------

  /** Schedules an event at global time `atUs`. */
  protected schedule(atUs: number, event: SimEvent): void {
    this.queue.push(atUs, event);
  }

  /** The adversary's events ('fault', 'client', 'ambush'); a bare cluster has none. */
  protected handleAdversary(_event: SimEvent): void {}

  /** Called after each check of a member, with what the checkers saw. */
  protected onObserved(_view: MemberView): void {}

  /** Called when a member crashed inside an fsync, as armed by armCrashDuringSync. */
  protected onCrashedInsideFsync(_id: MemberId): void {}

  private runOne(deadlineUs: number): boolean {
    const next = this.queue.peek();
    if (next === undefined || next.atUs > deadlineUs) return false;
    this.queue.pop();
    this.clock.advanceTo(next.atUs);
    this.eventCount++;
    const touched = this.handle(next.item);
    if (touched !== undefined) this.check(touched);
    return true;
  }

  /** Carries out one event; returns the member it may have changed, to be checked. */
  private handle(ev: SimEvent): MemberId | undefined {
    switch (ev.kind) {
      case 'tick':
        this.member(ev.member).onTick(ev.incarnation);
        return ev.member;
      case 'fsync':
        this.member(ev.member).onFsyncDone(ev.incarnation, ev.syncId);
        return ev.member;
      case 'pump':
        this.member(ev.member).onPump(ev.incarnation);
        return ev.member;
      case 'deliver':
        return this.deliver(arrived(ev.frame, ev.from, ev.to));
      case 'crash':
        if (!this.faultsOn || this.member(ev.member).incarnation !== ev.incarnation) return undefined;
        this.note(`fault crash inside fsync ${ev.member}`);
        this.crash(ev.member);
        this.onCrashedInsideFsync(ev.member);
        return undefined;
      case 'restart':
        if (this.faultsOn) this.restart(ev.member);
        return undefined;
      default:
        this.handleAdversary(ev);
        return undefined;
    }
  }

  private deliver(message: Message): MemberId | undefined {
    if (!this.network.admits(message)) return undefined;
    const to = this.members.get(message.to);
    if (!to?.up) return undefined;
    this.trace.add(this.nowUs, `deliver ${describeMessage(message)}`);
    to.deliver(message);
    return message.to;
  }

  private check(id: MemberId): void {
    const view = this.member(id).view();
    this.checkers.observe(view, this.nowUs);
    this.onObserved(view);
  }

  private memberHost(): MemberHost {
    return {
      nowUs: () => this.clock.nowUs,
      scheduleTick: (atUs, member, incarnation) =>
        this.queue.push(atUs, { kind: 'tick', member, incarnation }),
      scheduleFsync: (atUs, member, incarnation, syncId) =>
        this.queue.push(atUs, { kind: 'fsync', member, incarnation, syncId }),
      schedulePump: (atUs, member, incarnation) =>
        this.queue.push(atUs, { kind: 'pump', member, incarnation }),
      scheduleCrash: (atUs, member, incarnation) =>
        this.queue.push(atUs, { kind: 'crash', member, incarnation }),
      send: (sender, message) => {
        checkSender(sender, message);
        // Every message crosses the network as the bytes production sends and is decoded (and
        // validated) on arrival, as a peer's inbound link does, so the core sees what a real
        // member would. A message the codec refuses throws (production would log and drop it;
        // here it is a bug). The frame is kept until it arrives, as a peer's send queue may keep
        // it. The codec's default limits (16 MiB frames, 1,024 entries an append): the drawn
        // Raft options stay well within them.
        let encoded: { message: Message; frame: Uint8Array } | undefined;
        for (const d of this.network.send(message, this.clock.nowUs)) {
          if (encoded?.message !== d.message)
            encoded = { message: d.message, frame: encodeMessage(d.message) };
          this.queue.push(d.atUs, { kind: 'deliver', from: sender, to: d.message.to, frame: encoded.frame });
        }
      },
      onApply: (member, record) => {
        this.checkers.onApply(member, record);
        this.client.onApply(member, record);
      },
      onRestore: (member, index, stateHash) => {
        this.checkers.onRestore(member, index, stateHash);
        this.client.onRestore(member, index);
      },
      onReadState: (member, requestId, index) => this.checkers.apply.onReadIndex(member, requestId, index),
      onReadFailure: (_member, requestId) => this.checkers.apply.onReadFailed(requestId),
      trace: (line) => this.trace.add(this.clock.nowUs, line),
    };
  }
}

/** A frame sent from `from` to `to`, decoded on its link; anything but a Raft message is a codec bug. */
function arrived(frame: Uint8Array, from: MemberId, to: MemberId): Message {
  const message = decodeOnLink(frame, from, to);
  if (!isRaftMessage(message)) throw new Error(`a Raft message came back from the codec as ${message.type}`);
  return message;
}
