import type { ProposeResult, RaftStatus } from '../raft/raw-node.js';
import type { ClusterConfig, ConfigChange, MemberId, Message } from '../raft/types.js';
import { SafetyCheckers } from './checkers.js';
import { describeMessage } from './describe.js';
import { EventQueue } from './event-queue.js';
import { FaultInjector, type FaultTarget } from './fault-injector.js';
import { InvariantViolation } from './invariant-violation.js';
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

/** What a complete `run()` reports. */
export interface SimResult {
  readonly seed: number;
  readonly members: number;
  /** Fingerprint of the whole event trace: equal for two runs of one seed. */
  readonly traceHash: string;
  readonly events: number;
  readonly simulatedMs: number;
  readonly proposals: number;
  readonly acked: number;
  /** Linearizable reads answered, each checked against the writes acknowledged before it. */
  readonly readsChecked: number;
  /** Ticks the liveness phase needed to elect a leader and apply a fresh proposal everywhere. */
  readonly livenessTicks: number;
}

/** Bounds for `runUntil`. */
export interface RunUntilOptions {
  /** Give up after this many ticks of global time. */
  readonly ticksMax: number;
}

/**
 * A deterministic simulation of a Raft cluster: the production raft/ core
 * driven by simulated clocks, network and disks, with every invariant checked
 * after every event. Everything random follows from `options.seed`, so a seed
 * replays a run exactly.
 *
 * `run()` is the randomized test: a safety phase (faults on: loss,
 * duplication, delay, partitions of every kind, crashes — some inside an
 * fsync — restarts, leadership transfers, clients proposing on random
 * members), then a liveness phase (heal everything, restart everyone, and
 * require a leader and a fresh proposal applied on every member within
 * `livenessTicksMax`). The other public methods are a scripting API for
 * hand-written scenarios; they check invariants too.
 */
export class Simulator implements FaultTarget {
  readonly options: ResolvedSimulatorOptions;
  readonly ids: readonly MemberId[];
  readonly trace: Trace;
  readonly network: SimNetwork;
  readonly checkers: SafetyCheckers = new SafetyCheckers();
  readonly client: SimClient;
  /** One tick in global µs (members' ticks differ by their clock drift). */
  readonly tickUs: number;
  private readonly clock = new SimClock();
  private readonly queue = new EventQueue<SimEvent>();
  private readonly members = new Map<MemberId, SimMember>();
  private readonly faults: FaultInjector;
  private readonly clientRng: Rng;
  private readonly restartRng: Rng;
  private phase: 'script' | 'safety' | 'liveness' = 'script';
  private ambushArmed = false;
  /** Members seen leading after their last check, to spot new leaders. */
  private readonly leading = new Set<MemberId>();
  private clientCounter = 0;
  private eventCount = 0;

  constructor(options: SimulatorOptions) {
    const root = Rng.fromSeed(options.seed);
    this.options = resolveSimulatorOptions(options, root.fork('options'));
    const o = this.options;
    this.tickUs = o.tickMs * US_PER_MS;
    this.ids = Array.from({ length: o.members }, (_, i) => `n${i + 1}`);
    this.trace = new Trace(o.traceLinesMax);
    this.network = new SimNetwork(this.ids, root.fork('network'), o.network);
    this.client = new SimClient(this.checkers);
    this.faults = new FaultInjector(root.fork('faults'), this, o.network);
    this.clientRng = root.fork('client');
    this.restartRng = root.fork('restarts');
    const host = this.memberHost();
    this.ids.forEach((id, position) => {
      const memberRng = root.fork(`member:${id}`);
      const member = new SimMember(
        {
          id,
          voters: this.ids,
          raft: {
            ...o.raft,
            heartbeatTicks: o.heartbeatTicks,
            electionTicks: o.electionTicks,
            electionTicksMax: o.electionTicksMax,
          },
          tickMs: o.tickMs,
          leaseMs: leaseMsFor(o),
          snapshotEvery: o.snapshotEvery,
          fsyncMinUs: o.fsyncMinUs,
          fsyncMaxUs: o.fsyncMaxUs,
          clock: pickLocalClock(root.fork(`clock:${id}`), o.driftMax, o.clockRates?.[position]),
          rng: memberRng,
        },
        host,
      );
      this.members.set(id, member);
    });
    const clocks = [...this.members.values()].map((m) => `${m.id}@${m.clock.rate.toFixed(4)}`).join(' ');
    this.trace.add(0, `sim seed=${formatSeed(o.seed)} ${describeOptions(o)} clocks ${clocks}`);
    for (const id of this.ids) this.restart(id);
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

  /** The randomized run: safety phase with faults, then the liveness phase. Once per Simulator. */
  run(): SimResult {
    if (this.phase !== 'script') throw new Error('run() may be called only once');
    this.phase = 'safety';
    this.queue.push(this.nowUs + this.clientRng.int(1, this.tickUs), { kind: 'client' });
    this.queue.push(this.nowUs + this.restartRng.int(this.tickUs, 10 * this.tickUs), { kind: 'fault' });
    this.runFor(this.options.safetyTicks);
    this.phase = 'liveness';
    const livenessTicks = this.converge();
    return {
      seed: this.options.seed,
      members: this.options.members,
      traceHash: this.trace.hash(),
      events: this.eventCount,
      simulatedMs: this.nowUs / US_PER_MS,
      proposals: this.client.proposals,
      acked: this.client.ackedCount,
      readsChecked: this.checkers.apply.readsChecked,
      livenessTicks,
    };
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

  /** Boots `id` from its disk (no-op if it is running). */
  restart(id: MemberId): void {
    const m = this.member(id);
    if (m.up) return;
    m.start();
    this.check(id);
  }

  scheduleRestart(id: MemberId, afterUs: number): void {
    this.queue.push(this.nowUs + afterUs, { kind: 'restart', member: id });
  }

  armAmbush(): void {
    this.ambushArmed = true;
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
      case 'deliver':
        return this.deliver(ev.message);
      case 'crash':
        if (this.phase === 'liveness' || this.member(ev.member).incarnation !== ev.incarnation)
          return undefined;
        this.note(`fault crash inside fsync ${ev.member}`);
        this.crash(ev.member);
        if (this.phase === 'safety')
          this.scheduleRestart(ev.member, this.restartRng.int(1, 40) * this.tickUs);
        return undefined;
      case 'restart':
        if (this.phase !== 'liveness') this.restart(ev.member);
        return undefined;
      case 'ambush':
        if (this.phase === 'safety' && this.member(ev.member).incarnation === ev.incarnation)
          this.strike(ev.member);
        return undefined;
      case 'fault':
        if (this.phase === 'safety') {
          const { description, nextInUs } = this.faults.act();
          this.note(`fault ${description}`);
          this.queue.push(this.nowUs + nextInUs, { kind: 'fault' });
        }
        return undefined;
      case 'client':
        if (this.phase === 'safety') this.clientAct();
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

  private clientAct(): void {
    const up = this.ids.filter((id) => this.isUp(id));
    const n = this.clientCounter++;
    if (up.length > 0) {
      // Most requests find the leader (a real client follows redirects), the rest land anywhere.
      const toLeader = this.clientRng.chance(0.6);
      const anyone = this.clientRng.pick(up);
      const id = toLeader ? (this.leader() ?? anyone) : anyone;
      if (this.clientRng.chance(0.15)) this.read(id, `r${n}`);
      else this.propose(id, `c${n}`);
    }
    this.queue.push(this.nowUs + this.clientRng.int(Math.ceil(this.tickUs / 10), 2 * this.tickUs), {
      kind: 'client',
    });
  }

  /**
   * The liveness phase: heal, restart, then require a leader and a fresh
   * proposal applied on every member within the budget. Returns the ticks used.
   */
  private converge(): number {
    this.network.heal();
    this.network.faults = this.options.network;
    this.note('liveness: heal, calm network, restart every member');
    for (const id of this.ids) {
      this.member(id).crashDuringNextSync = false;
      this.restart(id);
    }
    const startUs = this.nowUs;
    const deadlineUs = startUs + this.options.livenessTicksMax * this.tickUs;
    let attempt = 0;
    let pending: { key: string; index: number; term: number } | undefined;
    while (this.nowUs < deadlineUs) {
      // A member outside the membership would never apply the fresh entry: bring everyone back first.
      if (!this.fullMembership()) {
        this.runFor(1);
        continue;
      }
      if (pending === undefined) {
        const leader = this.leader();
        const text = `fresh${attempt}`;
        const result = leader === undefined ? undefined : this.propose(leader, text);
        if (result?.ok) {
          attempt++;
          pending = { key: `${result.term}|cmd:${text}`, index: result.index, term: result.term };
        }
      }
      if (pending !== undefined) {
        const applied = this.checkers.apply.appliedAt(pending.index);
        if (applied !== undefined && applied.termKey !== pending.key) pending = undefined;
        else if (applied !== undefined && this.appliedEverywhere(pending.index)) {
          return Math.ceil((this.nowUs - startUs) / this.tickUs);
        } else if (applied === undefined && this.lostByLeader(pending.index, pending.term))
          pending = undefined;
      }
      this.runFor(1);
    }
    throw new InvariantViolation(
      'liveness',
      `no fresh proposal applied on every member within ${this.options.livenessTicksMax} ticks ` +
        `(${pending ? `waiting for index ${pending.index}` : 'no leader accepted one'}); ${this.describeMembers()}`,
    );
  }

  /**
   * Whether the leader's membership in force has every member as a voter; if
   * not, proposes adding one back (refused while a change is pending, so it is
   * simply tried again on a later tick).
   */
  private fullMembership(): boolean {
    const leader = this.leader();
    const config = leader === undefined ? undefined : this.config(leader);
    if (leader === undefined || config === undefined) return false;
    const missing = this.ids.find((id) => !config.voters.includes(id));
    if (missing === undefined) return true;
    this.proposeConfigChange(leader, { op: 'addVoter', id: missing });
    return false;
  }

  /** The current leader's log no longer holds our entry at `index`: it was truncated, propose again. */
  private lostByLeader(index: number, term: number): boolean {
    const leader = this.leader();
    if (leader === undefined) return false;
    const m = this.member(leader);
    return (m.status()?.snapshotIndex ?? 0) < index && m.termAt(index) !== term;
  }

  private appliedEverywhere(index: number): boolean {
    return this.ids.every((id) => (this.member(id).stateMachine()?.appliedIndex ?? -1) >= index);
  }

  private describeMembers(): string {
    return this.ids
      .map((id) => {
        const s = this.status(id);
        const sm = this.member(id).stateMachine();
        return s
          ? `${id} ${s.role} t${s.term} lead ${s.leaderId ?? '-'} commit ${s.commitIndex} applied ${sm?.appliedIndex} last ${s.lastIndex}`
          : `${id} down`;
      })
      .join('; ');
  }

  private check(id: MemberId): void {
    const view = this.member(id).view();
    this.checkers.observe(view, this.nowUs);
    const leads = view.up && view.role === 'leader';
    if (leads && !this.leading.has(id) && this.ambushArmed && this.phase === 'safety') {
      this.ambushArmed = false;
      const atUs = this.nowUs + this.restartRng.int(0, 2 * this.tickUs);
      this.queue.push(atUs, { kind: 'ambush', member: id, incarnation: this.member(id).incarnation });
    }
    if (leads) this.leading.add(id);
    else this.leading.delete(id);
  }

  /** The ambush: a new leader is crashed (and later restarted) or cut off. */
  private strike(id: MemberId): void {
    if (this.restartRng.chance(0.5)) {
      this.note(`fault ambush crash ${id}`);
      this.crash(id);
      this.scheduleRestart(id, this.restartRng.int(1, 40) * this.tickUs);
    } else {
      this.note(`fault ambush isolate ${id}`);
      this.network.heal();
      this.network.isolate(id);
    }
  }

  private memberHost(): MemberHost {
    return {
      nowUs: () => this.clock.nowUs,
      scheduleTick: (atUs, member, incarnation) =>
        this.queue.push(atUs, { kind: 'tick', member, incarnation }),
      scheduleFsync: (atUs, member, incarnation, syncId) =>
        this.queue.push(atUs, { kind: 'fsync', member, incarnation, syncId }),
      scheduleCrash: (atUs, member, incarnation) =>
        this.queue.push(atUs, { kind: 'crash', member, incarnation }),
      send: (message) => {
        for (const d of this.network.send(message, this.clock.nowUs)) {
          this.queue.push(d.atUs, { kind: 'deliver', message: d.message });
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
