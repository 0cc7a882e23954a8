import type { RaftOptions } from '../../src/raft/raft-options.js';
import { RawNode } from '../../src/raft/raw-node.js';
import type { Persisted, ReadState, Ready } from '../../src/raft/ready.js';
import type { Entry, HardState, MemberId, Message, Snapshot, Term } from '../../src/raft/types.js';
import { commandsOf, entriesOf, snapshotCommands } from './test-data.js';

export { as, command, commandsOf, entriesOf, msg, snapshotCommands } from './test-data.js';

/** What one test member has made durable and applied. */
export interface MemberStore {
  hardState: HardState | undefined;
  snapshot: Snapshot | undefined;
  entries: Entry[];
  applied: Entry[];
  /** Read states and failed read ids handed out by the member's Readies, in order. */
  readStates: ReadState[];
  readFailures: string[];
}

export interface TestClusterOptions {
  ids?: MemberId[];
  /**
   * Each member's election timeout in ticks, fixed so that elections can be
   * scripted: the member with the smallest timeout campaigns first. Defaults
   * to electionTicks + 2 × the member's position in `ids`.
   */
  electionTimeouts?: Partial<Record<MemberId, number>>;
  heartbeatTicks?: number;
  electionTicks?: number;
  electionTicksMax?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
  entriesPerMessageMax?: number;
  bytesPerMessageMax?: number;
  inflightMessagesMax?: number;
  uncommittedEntriesMax?: number;
}

type BaseOptions = Omit<RaftOptions, 'id' | 'random' | 'initialVoters'>;

/**
 * A synchronous in-memory cluster for table tests of the pure core: every
 * Ready is persisted to an in-memory store, its messages queued, its entries
 * applied. Messages move only when the test says so (deliver / stabilize), and
 * can be filtered to cut links. A crashed member is simply absent: it neither
 * ticks nor receives, and restarts from what its store made durable.
 */
export class TestCluster {
  readonly nodes = new Map<MemberId, RawNode>();
  readonly stores = new Map<MemberId, MemberStore>();
  readonly ids: readonly MemberId[];
  queue: Message[] = [];
  /** Members whose Ready a test is carrying out by hand: flush() leaves them alone. */
  readonly holding = new Set<MemberId>();
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;
  private readonly baseOptions: BaseOptions;
  private readonly timeouts = new Map<MemberId, number>();
  private readonly initialVoters = new Map<MemberId, readonly MemberId[]>();

  constructor(opts: TestClusterOptions = {}) {
    const ids = opts.ids ?? ['n1', 'n2', 'n3'];
    this.ids = ids;
    const base: BaseOptions = {
      heartbeatTicks: opts.heartbeatTicks ?? 1,
      electionTicks: opts.electionTicks ?? 10,
      electionTicksMax: opts.electionTicksMax ?? 20,
      preVote: opts.preVote ?? true,
      checkQuorum: opts.checkQuorum ?? true,
    };
    const optional = ['entriesPerMessageMax', 'bytesPerMessageMax', 'inflightMessagesMax'] as const;
    const extra: Partial<Record<(typeof optional)[number] | 'uncommittedEntriesMax', number>> = {};
    for (const key of [...optional, 'uncommittedEntriesMax'] as const) {
      const value = opts[key];
      if (value !== undefined) extra[key] = value;
    }
    this.baseOptions = { ...base, ...extra };
    ids.forEach((id, position) => {
      const timeout = opts.electionTimeouts?.[id] ?? base.electionTicks + 2 * position;
      this.timeouts.set(id, Math.min(timeout, base.electionTicksMax - 1));
      this.start(id, ids);
    });
  }

  get electionTicks(): number {
    return this.baseOptions.electionTicks;
  }

  /**
   * (Re)starts a member from its store. A member not seen before gets an
   * empty store; `initialVoters` is what a joining member is told the
   * cluster's initial voters are (defaults to what it was started with before).
   */
  start(id: MemberId, initialVoters?: readonly MemberId[], electionTimeout?: number): RawNode {
    if (!this.stores.has(id)) {
      this.stores.set(id, {
        hardState: undefined,
        snapshot: undefined,
        entries: [],
        applied: [],
        readStates: [],
        readFailures: [],
      });
    }
    if (electionTimeout !== undefined) this.timeouts.set(id, electionTimeout);
    if (!this.timeouts.has(id)) this.timeouts.set(id, this.baseOptions.electionTicksMax - 1);
    const voters = initialVoters ?? this.initialVoters.get(id) ?? this.ids;
    this.initialVoters.set(id, voters);
    const store = this.stores.get(id)!;
    const node = new RawNode(
      { ...this.baseOptions, id, initialVoters: voters, random: this.fixedRandom(this.timeouts.get(id)!) },
      { hardState: store.hardState, snapshot: store.snapshot, entries: store.entries },
    );
    // A restarted member applies its committed entries again from the snapshot on.
    store.applied = store.applied.filter((e) => e.index <= (store.snapshot?.meta.index ?? 0));
    this.nodes.set(id, node);
    return node;
  }

  /** A random source that makes the core pick exactly `timeout` as its election timeout. */
  private fixedRandom(timeout: number): () => number {
    const { electionTicks, electionTicksMax } = this.baseOptions;
    if (timeout < electionTicks || timeout >= electionTicksMax) {
      throw new RangeError(`election timeout ${timeout} outside [${electionTicks}, ${electionTicksMax})`);
    }
    const r = (timeout - electionTicks + 0.5) / (electionTicksMax - electionTicks);
    return () => r;
  }

  /**
   * Replaces a member's durable state with a log of the given terms (entry i
   * holds the command 'i@term') and restarts it: for scripting the paper's
   * figures, where followers start from particular logs.
   */
  load(id: MemberId, terms: readonly Term[], hardState: Partial<HardState> = {}): RawNode {
    const store = this.store(id);
    store.entries = entriesOf(terms);
    store.snapshot = undefined;
    store.applied = [];
    const lastTerm = terms[terms.length - 1] ?? 0;
    store.hardState = { term: lastTerm, vote: undefined, commit: 0, ...hardState };
    return this.start(id);
  }

  /** Stops a member abruptly: whatever it had not persisted through a Ready is lost. */
  crash(id: MemberId): void {
    this.nodes.delete(id);
  }

  node(id: MemberId): RawNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`${id} is not running`);
    return node;
  }

  store(id: MemberId): MemberStore {
    return this.stores.get(id)!;
  }

  /** The terms of the member's in-memory log after its snapshot, e.g. [1, 1, 2]. */
  logTerms(id: MemberId): Term[] {
    return this.node(id)
      .entries()
      .map((e) => e.term);
  }

  /** Drains every member's Ready: persist, queue messages, apply, advance. */
  flush(): void {
    let more = true;
    while (more) {
      more = false;
      for (const id of this.nodes.keys()) {
        if (!this.holding.has(id) && this.flushOne(id)) more = true;
      }
    }
  }

  /** Handles one Ready of one member, if it has one. */
  flushOne(id: MemberId): boolean {
    const node = this.node(id);
    if (!node.hasReady()) return false;
    this.process(id, node.ready());
    return true;
  }

  /**
   * The member's state machine: the commands its snapshot captured, then the
   * ones it applied after the snapshot (up to `upTo`).
   */
  appliedCommands(id: MemberId, upTo = Number.POSITIVE_INFINITY): string[] {
    const store = this.store(id);
    const from = store.snapshot?.meta.index ?? 0;
    const before = store.snapshot ? snapshotCommands(store.snapshot) : [];
    return [...before, ...commandsOf(store.applied.filter((e) => e.index > from && e.index <= upTo))];
  }

  /** Called with every Ready the harness takes, before it is carried out (e.g. to feed a LeaderLease). */
  onReady: (id: MemberId, rd: Ready) => void = () => {};

  /** Carries out a Ready in the order ready.ts prescribes (persisting before persisted()), then advances. */
  process(id: MemberId, rd: Ready): void {
    this.onReady(id, rd);
    const store = this.store(id);
    this.queue.push(...rd.messages);
    store.applied.push(...rd.committedEntries);
    this.persist(id, rd);
    const after = this.node(id).persisted(rd);
    this.queue.push(...after.messages);
    store.applied.push(...after.committedEntries);
    store.readStates.push(...rd.readStates);
    store.readFailures.push(...rd.readFailures.map((f) => f.requestId));
    this.node(id).advance(rd);
  }

  /**
   * Takes the member's next Ready and makes it durable, without advancing:
   * the Ready and what the core released once it was written (the messages
   * that vouch for the write, the committed entries it covered). The caller
   * applies and advances, or hands both to finish().
   */
  readyAndPersist(id: MemberId): { rd: Ready; after: Persisted } {
    const rd = this.node(id).ready();
    this.onReady(id, rd);
    this.persist(id, rd);
    return { rd, after: this.node(id).persisted(rd) };
  }

  /** Every message a Ready sends, before and after its write. */
  static allMessages(rd: Ready, after: Persisted): Message[] {
    return [...rd.messages, ...after.messages];
  }

  /**
   * Takes a snapshot of `id`'s applied state at `index` (its data: the
   * applied commands, comma-separated), stores it durably and compacts the log.
   */
  compact(id: MemberId, index: number): Snapshot {
    const node = this.node(id);
    const store = this.store(id);
    const term = node.termAt(index);
    if (term === undefined) throw new Error(`${id} holds no entry at ${index}`);
    const commands = this.appliedCommands(id, index);
    const snapshot: Snapshot = {
      meta: { index, term, config: node.status().config },
      data: new TextEncoder().encode(commands.join(',')),
    };
    node.compact(snapshot);
    store.snapshot = snapshot;
    store.entries = store.entries.filter((e) => e.index > index);
    return snapshot;
  }

  /** Makes a Ready's snapshot, entries and hard state durable in the member's store. */
  persist(id: MemberId, rd: Ready): void {
    const store = this.store(id);
    if (rd.snapshot) {
      store.snapshot = rd.snapshot;
      store.entries = [];
      store.applied = [];
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]!.index;
      store.entries = store.entries.filter((e) => e.index < first).concat(rd.entries);
    }
    if (rd.hardState) store.hardState = rd.hardState;
  }

  /** Delivers queued messages (and the ones they cause) until the network is quiet. */
  stabilize(maxRounds = 1000): void {
    for (let i = 0; i < maxRounds; i++) {
      this.flush();
      if (this.queue.length === 0) return;
      this.deliverAll();
    }
    throw new Error('cluster did not stabilize');
  }

  /** Delivers every message queued now (not the replies). */
  deliverAll(): void {
    const batch = this.queue;
    this.queue = [];
    for (const m of batch) this.deliver(m);
  }

  /** Hands one message to its addressee unless the filter drops it or the addressee is down. */
  deliver(m: Message): void {
    if (!this.filter(m)) return;
    this.nodes.get(m.to)?.step(m);
  }

  /** Takes the queued messages out, without delivering them. */
  takeMessages(pred: (m: Message) => boolean = () => true): Message[] {
    const taken = this.queue.filter(pred);
    this.queue = this.queue.filter((m) => !pred(m));
    return taken;
  }

  /** Flushes every Ready, then takes the queued messages matching `pred`. */
  flushAndTake(pred: (m: Message) => boolean = () => true): Message[] {
    this.flush();
    return this.takeMessages(pred);
  }

  tick(id: MemberId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).tick();
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const node of this.nodes.values()) node.tick();
  }

  /**
   * Ticks `id` alone until it starts a new (pre-)campaign — also when it is
   * already a candidate. Its earlier Readies are handled first, so the
   * campaign's messages are the ones its next Ready carries.
   */
  campaign(id: MemberId): void {
    while (this.flushOne(id)) {}
    const node = this.node(id);
    for (let i = 0; i < this.baseOptions.electionTicksMax; i++) {
      node.tick();
      const { role } = node.status();
      if ((role === 'candidate' || role === 'preCandidate') && node.hasReady()) return;
    }
    throw new Error(`${id} did not campaign`);
  }

  /**
   * Runs the cluster (tick everyone, deliver everything) until `id` leads;
   * fails if another member wins. Pick `id` by giving it the smallest timeout.
   */
  elect(id: MemberId, roundsMax = 200): void {
    const node = this.node(id);
    for (let i = 0; i < roundsMax && node.status().role !== 'leader'; i++) {
      this.tickAll();
      this.stabilize();
      const leader = this.leader();
      if (leader !== undefined && leader !== id) throw new Error(`${leader} was elected instead of ${id}`);
    }
    if (node.status().role !== 'leader') throw new Error(`${id} did not become leader`);
  }

  /** The running member that believes it leads (the one with the highest term if several do). */
  leader(): MemberId | undefined {
    let best: MemberId | undefined;
    let bestTerm = -1;
    for (const [id, node] of this.nodes) {
      const s = node.status();
      if (s.role === 'leader' && s.term > bestTerm) {
        best = id;
        bestTerm = s.term;
      }
    }
    return best;
  }

  /** Isolates members from each other: messages between different groups are dropped. */
  partition(...groups: MemberId[][]): void {
    const groupOf = new Map<MemberId, number>();
    groups.forEach((g, i) => {
      for (const id of g) groupOf.set(id, i);
    });
    this.filter = (m) => groupOf.get(m.from) === groupOf.get(m.to);
  }

  /** Cuts `id` off from everyone else. */
  isolate(id: MemberId): void {
    this.filter = (m) => m.from !== id && m.to !== id;
  }

  heal(): void {
    this.filter = () => true;
  }
}
