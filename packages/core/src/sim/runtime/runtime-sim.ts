import { CAMPAIGN_MARGIN_TICKS, resolveClusterOptions } from '../../cluster-options.js';
import { encodeMessage } from '../../codec/message-codec.js';
import { type MessageLimits, resolveMessageLimits } from '../../codec/message-limits.js';
import type { Env } from '../../env.js';
import { silentLogger } from '../../env.js';
import { isRaftMessage, type PeerMessage } from '../../peer-message.js';
import type { MemberId } from '../../raft/types.js';
import { CoordinationMachine } from '../../runtime/coordination-machine.js';
import { Forwarder } from '../../runtime/forwarder.js';
import type { LeadershipToken } from '../../runtime/leadership-token.js';
import { NodeLoop } from '../../runtime/node-loop.js';
import { untilAborted } from '../../runtime/until-aborted.js';
import type { PersistBatch, RecoveredState } from '../../storage/log-storage.js';
import { MemoryStorage } from '../../storage/memory-storage.js';
import { EventQueue } from '../event-queue.js';
import { checkSender, decodeOnLink } from '../peer-frames.js';
import { formatSeed, Rng } from '../rng.js';
import { LocalClock, SimClock, US_PER_MS } from '../sim-clock.js';
import { AppliedEffects } from './applied-effects.js';
import { DelayedDisk } from './delayed-disk.js';
import { DurableApplyCheck } from './durable-apply-check.js';
import { DurableLogView } from './durable-log-view.js';
import { type AppliedTerms, KvRegisterMachine } from './kv-register-machine.js';
import { LeadersByTerm } from './leaders-by-term.js';
import { buildMemberCoordination } from './member-coordination.js';
import { memberEnv, type SimJob, SimTimer } from './member-env.js';
import { RoutedMachine } from './routed-machine.js';
import { checkRuntimeInvariants, RunCaps, validHolders } from './runtime-invariants.js';
import { MemberJob, type MemberServices, type SimMember } from './runtime-member.js';
import type { RuntimeSimOptions, TokenRecord } from './runtime-sim-options.js';
import { SimLinks } from './sim-links.js';

export type { MemberServices } from './runtime-member.js';
export type { RuntimeSimOptions, TokenRecord } from './runtime-sim-options.js';

/**
 * Runs the PRODUCTION runtime (NodeLoop, Leadership, LeaderLease over the
 * Raft core) on virtual time: every member gets an Env whose clock, timers
 * and randomness come from the simulation, MemoryStorage for its disk, and a
 * simulated network. Between events the microtask queue is drained, so the
 * runtime's async code runs exactly as in production, in a deterministic
 * order. After every event the checkers verify that at most one member holds
 * a leadership token whose `valid` is true (DESIGN.md §2.1), and that no two
 * members ever lead in the same term (election safety), and that no member
 * applies an entry its disk does not hold durably.
 *
 * Every member also runs the coordination state machine (leases, locks,
 * elections; beside the write-path registers, RoutedMachine), its lease
 * service and coordination surface, built as Cluster builds them, with
 * keep-alives on the same simulated links; `effects` holds what each applied
 * entry did, compared member by member, and `addCheck` adds checks of a
 * workload's own (held locks) to the ones run after every event.
 */
export class RuntimeSim {
  readonly clock = new SimClock();
  readonly tokens: TokenRecord[] = [];
  /** Every member seen leading, by term (checked after every event). */
  readonly leaders = new LeadersByTerm();
  private readonly queue = new EventQueue<SimJob>();

  private readonly members = new Map<MemberId, SimMember>();
  private readonly rng: Rng;
  private readonly links: SimLinks;
  /** The members' resolved options (timing, lease), as Cluster.start would resolve them. */
  readonly options: ReturnType<typeof resolveClusterOptions>;
  /** How long a member's Forwarder waits for the leader's answer before it sends a command again (as Cluster). */
  readonly answerTimeoutMs: number;
  /** The peer codec's limits, as Cluster sets them from maxFrameBytes. */
  private readonly messageLimits: MessageLimits;
  /** Rewrites each message as it is sent (scripted tests only). */
  private interceptor: ((message: PeerMessage) => PeerMessage) | undefined;
  private readonly appliedTerms: AppliedTerms = new Map();
  /** The coordination effects of every applied entry, compared across members and restarts. */
  readonly effects = new AppliedEffects();
  private readonly checks: (() => void)[] = [];
  private nextId = 0;
  private readonly caps: RunCaps;

  constructor(readonly opts: RuntimeSimOptions) {
    this.rng = Rng.fromSeed(opts.seed);
    this.caps = new RunCaps(opts.seed, opts.eventsMax ?? 1_000_000, opts.virtualMsMax ?? 600_000);
    this.links = new SimLinks(this.rng, this.rng.fork('links'), opts.delayMs ?? [0.1, 2], opts.dropRate ?? 0);
    const urls = Object.fromEntries(opts.members.map((id, i) => [id, `ws://sim:${7000 + i}`]));
    this.options = resolveClusterOptions({
      id: opts.members[0]!,
      members: urls,
      insecure: true,
      dataDir: ':memory:',
      heartbeatMs: opts.heartbeatMs,
      electionTimeoutMs: opts.electionTimeoutMs,
      driftBound: opts.driftBound,
      snapshotEntries: opts.snapshotEntries,
    });
    this.answerTimeoutMs = 2 * this.options.electionTimeoutMs[1];
    this.messageLimits = resolveMessageLimits({ bytesMax: this.options.maxFrameBytes });
    const drift = this.options.driftBound;
    const clocks = this.rng.fork('clocks');
    const extremes = this.rng.fork('clock-extremes');
    for (const id of opts.members) {
      const uniform = clocks.real(1 - drift, 1 + drift);
      const rate = opts.extremeClocks ? extremes.pick([1 - drift, 1 + drift, uniform]) : uniform;
      const clock = new LocalClock(rate, clocks.real(0, 10_000));
      this.members.set(id, {
        id,
        clock,
        storage: new MemoryStorage(),
        disk: undefined,
        loop: undefined,
        stateMachine: new DurableApplyCheck(new DurableLogView()),
        kv: new KvRegisterMachine(this.appliedTerms),
        routed: undefined,
        forwarder: undefined,
        services: undefined,
        env: undefined,
        fatal: undefined,
        onCrash: [],
        incarnation: 0,
        pausedUntilUs: 0,
        ioFirstAfterPause: false,
        diskDelayMs: 0,
      });
    }
  }

  get nowMs(): number {
    return this.clock.nowUs / US_PER_MS;
  }

  loop(id: MemberId): NodeLoop | undefined {
    return this.members.get(id)?.loop;
  }

  /** `id`'s forwarder, while it runs: proposals and linearizable reads as Cluster makes them. */
  forwarder(id: MemberId): Forwarder | undefined {
    return this.member(id).forwarder;
  }

  /** `id`'s registers of the write-path workload (its running incarnation's, or the last one's). */
  kv(id: MemberId): KvRegisterMachine {
    return this.member(id).kv;
  }

  /** `id`'s coordination surface, lease service and Env, while it runs. */
  services(id: MemberId): MemberServices | undefined {
    const m = this.member(id);
    return m.services && m.env && { ...m.services, incarnation: m.incarnation, env: m.env };
  }

  /** `id`'s coordination state now (its running incarnation's, or the last one's). */
  coordinationState(id: MemberId): CoordinationMachine['state'] | undefined {
    return this.member(id).routed?.coordination.state;
  }

  /** Is incarnation `incarnation` of `id` still running? */
  isRunning(id: MemberId, incarnation: number): boolean {
    const m = this.member(id);
    return m.incarnation === incarnation && m.loop !== undefined;
  }

  /** Calls `fn` once when `id`'s running incarnation crashes (never if it is not running); returns the unsubscribe function. */
  onCrash(id: MemberId, fn: () => void): () => void {
    const m = this.member(id);
    if (!m.loop) return () => {};
    m.onCrash.push(fn);
    return () => {
      const i = m.onCrash.indexOf(fn);
      if (i >= 0) m.onCrash.splice(i, 1);
    };
  }

  /** Adds a check run after every event (and by checkInvariants); it throws to fail the run (the seed is added). */
  addCheck(check: () => void): void {
    this.checks.push(check);
  }

  /** The global time (ms) at which `id`'s own clock reads `localMs`. */
  globalMsAt(id: MemberId, localMs: number): number {
    return this.member(id).clock.globalUs(localMs) / US_PER_MS;
  }

  /** How fast `id`'s clock runs: local ms per global ms. */
  clockRate(id: MemberId): number {
    return this.member(id).clock.rate;
  }

  /** When `to` last stepped a Raft message from `from` (global ms; -Infinity if never). */
  lastSteppedMs(from: MemberId, to: MemberId): number {
    return this.links.lastSteppedMs(from, to);
  }

  /** How many Raft messages `to` has stepped from `from` so far. */
  deliveredCount(from: MemberId, to: MemberId): number {
    return this.links.deliveredCount(from, to);
  }

  /** Events run so far. */
  get eventCount(): number {
    return this.caps.events;
  }

  /**
   * Runs `job` inside `id`'s process now: later if it is paused, never if it
   * is down or crashes first (application code shares the member's event loop).
   */
  runOn(id: MemberId, job: () => void): void {
    const m = this.member(id);
    if (m.loop) this.scheduleFor(m, m.incarnation, this.clock.nowUs, job, 'timer');
  }

  /** Runs `job` after `ms` of global time, outside every member (a client's own clock); `cancel` drops it. */
  after(ms: number, job: () => void): { cancel(): void } {
    const timer = new SimTimer(job);
    this.queue.push(this.clock.nowUs + Math.ceil(ms * US_PER_MS), timer);
    return timer;
  }

  /** The last index `id`'s state machine applied (it counts no-ops and config entries too). */
  appliedIndex(id: MemberId): number {
    return this.member(id).stateMachine.lastIndex;
  }

  /** Starts (or restarts, from what its storage holds) a member, and a task that keeps asking it for leadership. */
  async start(id: MemberId): Promise<void> {
    const m = this.member(id);
    if (m.loop) throw new Error(`${id} is running`);
    m.incarnation++;
    const incarnation = m.incarnation;
    m.fatal = undefined;
    m.storage = await m.storage.reopen();
    m.disk = this.diskFor(m, incarnation);
    m.kv = new KvRegisterMachine(this.appliedTerms);
    const machine = new CoordinationMachine();
    m.routed = new RoutedMachine(id, m.kv, machine, this.effects);
    m.stateMachine = new DurableApplyCheck(m.disk.durableLog, m.routed);
    const o = this.options;
    const env: Env = memberEnv(
      m.clock,
      this.clock,
      this.rng.fork(`random:${m.id}:${incarnation}`),
      (atUs, job) => this.scheduleFor(m, incarnation, atUs, job, 'timer'),
      () => `${m.id}-${this.nextId++}`,
    );
    let leaderId: MemberId | undefined;
    const loop = await NodeLoop.start({
      raft: {
        id,
        initialVoters: this.opts.members,
        heartbeatTicks: o.heartbeatTicks,
        electionTicks: o.electionTicks,
        electionTicksMax: o.electionTicksMax,
        campaignMarginTicks: CAMPAIGN_MARGIN_TICKS,
        bytesPerMessageMax: o.batchBytesMax,
      },
      tickMs: o.tickMs,
      leaseMs: o.leaseMs,
      snapshotEntries: o.snapshotEntries,
      commandBytesMax: o.commandBytesMax,
      env,
      storage: m.disk,
      send: (msg) => void this.send(m, incarnation, msg),
      stateMachine: m.stateMachine,
      logger: silentLogger,
      // The simulated disk loses only unsynced writes and fails none the loop makes (it keeps one in
      // flight, far below DelayedDisk's cap): a fatal error here is a bug.
      onFatal: (error) => {
        if (m.incarnation === incarnation) m.fatal = error;
      },
      // As Cluster does: forwarded requests to an old leader get no answer, their waiters look again.
      onSoftState: (soft) => {
        if (soft.leaderId === leaderId) return;
        leaderId = soft.leaderId;
        if (m.incarnation === incarnation) m.forwarder?.onLeaderChange();
      },
    });
    m.loop = loop;
    // Built as Cluster builds it (cluster.ts), over the simulated links.
    m.forwarder = new Forwarder({
      loop,
      env,
      send: (msg) => this.send(m, incarnation, msg),
      logger: silentLogger,
      answerTimeoutMs: this.answerTimeoutMs,
      pendingMax: 4096,
      readRetryMs: o.electionTimeoutMs[0],
      unsentRetryMs: o.heartbeatMs,
    });
    m.env = env;
    m.services = buildMemberCoordination({
      id,
      options: o,
      env,
      loop,
      forwarder: m.forwarder,
      machine,
      send: (msg) => this.send(m, incarnation, msg),
    });
    void this.askForLeadership(m, incarnation);
  }

  /**
   * Kills a member at once (kill -9): nothing more runs, and its disk keeps
   * only what was durable — writes still in flight are lost.
   */
  crash(id: MemberId): void {
    const m = this.member(id);
    m.incarnation++;
    m.loop = undefined;
    m.disk = undefined;
    m.forwarder = undefined;
    m.services = undefined;
    m.env = undefined;
    for (const fn of m.onCrash.splice(0)) fn();
  }

  /**
   * Stalls a member's event loop for `ms` (a GC pause, SIGSTOP): its timers
   * and inbound messages wait. `order` overrides options.afterPause for this
   * pause (a probe that needs one order).
   */
  pause(id: MemberId, ms: number, order: RuntimeSimOptions['afterPause'] = this.opts.afterPause): void {
    const m = this.member(id);
    m.pausedUntilUs = Math.max(m.pausedUntilUs, this.clock.nowUs + ms * US_PER_MS);
    m.ioFirstAfterPause = (order ?? 'random') === 'random' ? this.rng.chance(0.5) : order === 'io-first';
  }

  /**
   * Makes every later persist on `id`'s disk take `ms` (0 restores a fast
   * disk): the batch becomes durable, and persist() resolves, only then.
   */
  slowDisk(id: MemberId, ms: number): void {
    this.member(id).diskDelayMs = ms;
  }

  /** Batches `id` has written but not made durable yet (empty when it is down). */
  writesInFlight(id: MemberId): readonly PersistBatch[] {
    return this.member(id).disk?.writesInFlight() ?? [];
  }

  /**
   * While `id` is down, its disk loses its last `count` durable entries, as
   * a disk that acknowledged an fsync it never did (the commit index kept
   * within what is left). For tests that the fatal-error check fires; the
   * simulation itself never calls it.
   */
  async loseDurableTail(id: MemberId, count: number): Promise<void> {
    const m = this.member(id);
    if (m.loop) throw new Error(`${id} is running`);
    const { hardState, snapshot, entries } = await m.storage.load();
    const kept = entries.slice(0, Math.max(0, entries.length - count));
    const last = kept.at(-1)?.index ?? snapshot?.meta.index ?? 0;
    const storage = new MemoryStorage();
    if (snapshot) await storage.persist({ snapshot, entries: [], sync: true });
    await storage.persist({
      entries: kept,
      ...(hardState ? { hardState: { ...hardState, commit: Math.min(hardState.commit, last) } } : {}),
      sync: true,
    });
    m.storage = storage;
  }

  /** What `id`'s disk holds durably: what it would recover from if it crashed now. */
  durableState(id: MemberId): Promise<RecoveredState> {
    return this.member(id).storage.load();
  }

  /** Cuts (or restores) the links between two groups of members, both directions. */
  partition(a: readonly MemberId[], b: readonly MemberId[]): void {
    this.links.partition(a, b);
  }

  /** Cuts only the link from `from` to `to`: messages the other way still arrive. */
  cutOneWay(from: MemberId, to: MemberId): void {
    this.links.cutOneWay(from, to);
  }

  /** Restores every cut link (held ones stay held until released). */
  heal(): void {
    this.links.heal();
  }

  /** Stalls the link from `from` to `to`: what is sent on it waits until `release`. */
  hold(from: MemberId, to: MemberId): void {
    this.links.hold(from, to);
  }

  /** Ends a hold: what waited arrives now, in order. */
  release(from: MemberId, to: MemberId): void {
    for (const deliver of this.links.release(from, to)) deliver();
  }

  /** Installs (or with undefined removes) a hook that may replace each message as it is sent (scripted tests only). */
  setInterceptor(interceptor: ((message: PeerMessage) => PeerMessage) | undefined): void {
    this.interceptor = interceptor;
  }

  /** Runs events until global time reaches `ms` (absolute), checking the token invariant after each. */
  async runUntil(ms: number): Promise<void> {
    const endUs = ms * US_PER_MS;
    for (;;) {
      const next = this.queue.peek();
      if (!next || next.atUs > endUs) break;
      await this.runEvent();
    }
    this.clock.advanceTo(Math.max(this.clock.nowUs, endUs));
    this.checkInvariants();
  }

  /** Runs until `pred` holds (checked after every event) or `budgetMs` of virtual time passes. */
  async runUntilTrue(pred: () => boolean, budgetMs: number): Promise<boolean> {
    const endUs = this.clock.nowUs + budgetMs * US_PER_MS;
    while (!pred()) {
      const next = this.queue.peek();
      if (!next || next.atUs > endUs) return pred();
      await this.runEvent();
    }
    return true;
  }

  /**
   * Runs the next event and the async code it lets run, checking the
   * invariants at its instant before it runs (a signal that should have
   * aborted by now is seen even if this event is another member's) and after.
   */
  private async runEvent(): Promise<void> {
    const next = this.queue.pop();
    if (!next) return;
    const dead = next.item.dead?.() === true;
    this.caps.onEvent(next.atUs, next.item, dead);
    this.clock.advanceTo(next.atUs);
    this.checkInvariants();
    // Nothing would run: no async code to let run, and no state changed that the checkers could see.
    if (dead) return;
    next.item.run();
    await drainMicrotasks();
    this.checkInvariants();
  }

  /** Members whose current token is valid right now, by their own clocks. */
  validHolders(): MemberId[] {
    return validHolders(this.tokens);
  }

  /** Throws, naming the seed, if a checked invariant is broken now (runtime-invariants.ts). */
  checkInvariants(): void {
    checkRuntimeInvariants({
      seed: this.opts.seed,
      nowMs: this.nowMs,
      nowUs: this.clock.nowUs,
      tokens: this.tokens,
      leaders: this.leaders,
      members: this.members.values(),
    });
    if (this.effects.violation !== undefined) {
      throw new Error(`seed=${formatSeed(this.opts.seed)}: ${this.effects.violation}`);
    }
    for (const check of this.checks) {
      try {
        check();
      } catch (error) {
        throw new Error(
          `seed=${formatSeed(this.opts.seed)}: ${error instanceof Error ? error.message : error}`,
        );
      }
    }
  }

  private async askForLeadership(m: SimMember, incarnation: number): Promise<void> {
    while (m.incarnation === incarnation && m.loop) {
      let token: LeadershipToken;
      try {
        token = await m.loop.leadership.wait();
      } catch {
        return; // stopped
      }
      if (m.incarnation !== incarnation) return;
      this.tokens.push({
        member: m.id,
        incarnation,
        token,
        issuedUs: this.clock.nowUs,
        appliedIndexAtIssue: m.stateMachine.lastIndex,
        statusAppliedIndexAtIssue: m.loop.status().appliedIndex,
      });
      await untilAborted(token.signal);
    }
  }

  /** The member's disk: its writes take the member's current disk delay, and die with the incarnation. */
  private diskFor(m: SimMember, incarnation: number): DelayedDisk {
    return new DelayedDisk({
      durable: m.storage,
      nowUs: () => this.clock.nowUs,
      delayMs: () => m.diskDelayMs,
      schedule: (atUs, job) => this.scheduleFor(m, incarnation, atUs, job, 'io'),
    });
  }

  /** Hands a message to the simulated network; false when the sender's transport refused it (link known down). */
  private send(from: SimMember, incarnation: number, sent: PeerMessage): boolean {
    if (from.incarnation !== incarnation) return false;
    const msg = this.interceptor?.(sent) ?? sent;
    checkSender(from.id, msg);
    const route = this.links.route(msg.from, msg.to);
    const to = this.members.get(msg.to);
    if (!to || route.kind === 'lost') return true;
    if (route.kind === 'refused') return false;
    const toIncarnation = to.incarnation;
    // As bytes, the way a member's transport sends them (with Cluster's frame limit), decoded and
    // validated on arrival as its inbound link does: the runtime sees what a real peer would send.
    // A message the codec refuses throws here (production would log and drop it): a bug either way.
    // The frame waits until it arrives, as a peer's send queue may keep it.
    const frame = encodeMessage(msg, this.messageLimits);
    const deliver: SimJob = {
      run: () => this.arrive(to, decodeOnLink(frame, from.id, to.id, this.messageLimits)),
      label: () => `${msg.type} from ${msg.from}`,
    };
    if (route.kind === 'held') {
      // Released all at once, a tenth of a millisecond later (still in order).
      const release = () => this.scheduleFor(to, toIncarnation, this.clock.nowUs + 100, deliver, 'io');
      this.links.holdBack(msg.from, msg.to, release);
      return true;
    }
    this.scheduleFor(to, toIncarnation, this.clock.nowUs + route.delayUs, deliver, 'io');
    return true;
  }

  /** Routes a message that arrived as Cluster routes them: Raft to the loop, forwarding to the forwarder, keep-alives to the leases. */
  private arrive(to: SimMember, msg: PeerMessage): void {
    if (isRaftMessage(msg)) {
      this.links.noteStepped(msg.from, msg.to, this.nowMs);
      to.loop?.step(msg);
    } else if (msg.type === 'forward' || msg.type === 'forwardResp') {
      to.forwarder?.onMessage(msg);
    } else {
      to.services?.leases.onMessage(msg);
    }
  }

  /**
   * Runs `job` for member `m` at `atUs`, later if the member is paused then
   * (timers and I/O in the order the pause drew), never if it died meanwhile.
   */
  private scheduleFor(
    m: SimMember,
    incarnation: number,
    atUs: number,
    job: SimJob | (() => void),
    kind: 'io' | 'timer',
  ): void {
    const simJob = typeof job === 'function' ? { run: job } : job;
    this.queue.push(Math.ceil(atUs), new MemberJob(this.clock, this.queue, m, incarnation, simJob, kind));
  }

  private member(id: MemberId): SimMember {
    const m = this.members.get(id);
    if (!m) throw new Error(`unknown member ${id}`);
    return m;
  }
}

/** Lets every pending promise continuation run (the runtime's async code between two events). */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
