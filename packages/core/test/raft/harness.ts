import type { RaftOptions } from '../../src/raft/raft-options.js';
import { RawNode } from '../../src/raft/raw-node.js';
import type { Ready } from '../../src/raft/ready.js';
import type { Entry, HardState, MemberId, Message, Snapshot } from '../../src/raft/types.js';

/** A tiny seeded PRNG for tests (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What one test member has made durable and applied. */
export interface MemberStore {
  hardState: HardState | undefined;
  snapshot: Snapshot | undefined;
  entries: Entry[];
  applied: Entry[];
}

export interface TestClusterOptions {
  ids?: MemberId[];
  seed?: number;
  heartbeatTicks?: number;
  electionTicks?: number;
  electionTicksMax?: number;
  preVote?: boolean;
  checkQuorum?: boolean;
}

/**
 * A synchronous in-memory cluster for table tests of the pure core: every
 * Ready is persisted to an in-memory store, its messages queued, its entries
 * applied. Messages move only when the test says so (deliver / stabilize), and
 * can be filtered to cut links.
 */
export class TestCluster {
  readonly nodes = new Map<MemberId, RawNode>();
  readonly stores = new Map<MemberId, MemberStore>();
  queue: Message[] = [];
  /** Return false to drop a message. */
  filter: (m: Message) => boolean = () => true;
  private readonly baseOptions: Omit<RaftOptions, 'id' | 'random'>;
  private readonly seed: number;

  constructor(opts: TestClusterOptions = {}) {
    const ids = opts.ids ?? ['n1', 'n2', 'n3'];
    this.seed = opts.seed ?? 1;
    this.baseOptions = {
      initialVoters: ids,
      heartbeatTicks: opts.heartbeatTicks ?? 1,
      electionTicks: opts.electionTicks ?? 10,
      electionTicksMax: opts.electionTicksMax ?? 20,
      preVote: opts.preVote ?? true,
      checkQuorum: opts.checkQuorum ?? true,
    };
    ids.forEach((id) => {
      this.stores.set(id, { hardState: undefined, snapshot: undefined, entries: [], applied: [] });
      this.start(id);
    });
  }

  /** (Re)starts a member from its store. */
  start(id: MemberId): RawNode {
    const store = this.stores.get(id)!;
    const index = [...this.stores.keys()].indexOf(id);
    const node = new RawNode(
      { ...this.baseOptions, id, random: seededRandom(this.seed * 1000 + index + this.nodes.size) },
      { hardState: store.hardState, snapshot: store.snapshot, entries: store.entries },
    );
    store.applied = store.applied.filter((e) => e.index <= (store.snapshot?.meta.index ?? 0));
    this.nodes.set(id, node);
    return node;
  }

  node(id: MemberId): RawNode {
    return this.nodes.get(id)!;
  }

  /** Drains every member's Ready: persist, queue messages, apply, advance. */
  flush(): void {
    let more = true;
    while (more) {
      more = false;
      for (const [id, node] of this.nodes) {
        if (!node.hasReady()) continue;
        more = true;
        this.handleReady(id, node, node.ready());
      }
    }
  }

  private handleReady(id: MemberId, node: RawNode, rd: Ready): void {
    const store = this.stores.get(id)!;
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
    this.queue.push(...rd.messages);
    store.applied.push(...rd.committedEntries);
    node.advance(rd);
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

  tick(id: MemberId, times = 1): void {
    for (let i = 0; i < times; i++) this.node(id).tick();
  }

  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) for (const node of this.nodes.values()) node.tick();
  }

  /** Ticks `id` until it campaigns, then runs the election to the end. */
  elect(id: MemberId): void {
    const node = this.node(id);
    // Followers must be out of their leader-stickiness window to grant votes.
    for (let i = 0; i < 100 && node.status().role !== 'leader'; i++) {
      this.tickAll();
      this.stabilize();
    }
    if (node.status().role !== 'leader') throw new Error(`${id} did not become leader`);
  }

  leader(): MemberId | undefined {
    for (const [id, node] of this.nodes) if (node.status().role === 'leader') return id;
    return undefined;
  }

  /** Isolates members from each other: messages between different groups are dropped. */
  partition(...groups: MemberId[][]): void {
    const groupOf = new Map<MemberId, number>();
    groups.forEach((g, i) => {
      for (const id of g) groupOf.set(id, i);
    });
    this.filter = (m) => groupOf.get(m.from) === groupOf.get(m.to);
  }

  heal(): void {
    this.filter = () => true;
  }
}

export function command(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function commandsOf(entries: readonly Entry[]): string[] {
  return entries.flatMap((e) => (e.type === 'command' ? [new TextDecoder().decode(e.data)] : []));
}
