import type { ChaosCluster } from './chaos-cluster.js';
import { HEALTHY, type ProxyState } from './fault-proxy.js';
import type { LinkId, ProxyMesh } from './proxy-mesh.js';
import { describeFault, type Fault, type Step, type Target } from './schedule.js';

/** A link fault in force, resolved to the directed links it affects. */
interface ActiveLinkFault {
  readonly links: readonly LinkId[];
  readonly state: ProxyState;
}

export interface FaultCounts {
  applied: Record<Fault['kind'], number>;
  /** Process faults skipped because their target was already down or would leave no majority up. */
  skipped: number;
}

/**
 * Carries out a schedule in real time: link faults through the proxies
 * (overlapping ones combine: reset beats hold beats slow), SIGKILL with a
 * restart at the step's end, SIGSTOP with a SIGCONT at its end. 'leader' is
 * resolved when the step starts; a process fault whose target is already
 * down, or that would take a majority down, is skipped and logged.
 */
export class FaultExecutor {
  private readonly active = new Set<ActiveLinkFault>();
  private readonly down = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<Promise<void>>();
  /**
   * Set while a 'holder' step waits for the next lock holder to read the
   * counter; a promise it returns holds back the store's answer until it settles.
   */
  private holderHook: ((id: string) => Promise<void> | undefined) | undefined;
  /** Answer the reads isolated holders wait for (each at its step's end, or when everything heals). */
  private readonly answersHeld = new Set<() => void>();
  readonly counts: FaultCounts = {
    applied: { cut: 0, partition: 0, slow: 0, kill: 0, pause: 0, isolate: 0 },
    skipped: 0,
  };

  constructor(
    private readonly mesh: ProxyMesh,
    private readonly cluster: ChaosCluster,
    private readonly leaderNow: () => string | undefined,
    private readonly log: (line: string) => void,
  ) {}

  /** Runs `steps` from now; resolves when the last one has ended and every restart has completed. */
  async run(steps: readonly Step[]): Promise<void> {
    const t0 = performance.now();
    await Promise.all(
      steps.map(
        (step) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(
              () => {
                this.timers.delete(timer);
                const end = this.begin(step, t0);
                const endTimer = setTimeout(() => {
                  this.timers.delete(endTimer);
                  this.track(end()).then(resolve, resolve);
                }, step.durationMs);
                this.timers.add(endTimer);
              },
              Math.max(0, step.atMs - (performance.now() - t0)),
            );
            this.timers.add(timer);
          }),
      ),
    );
    await Promise.all(this.pending);
  }

  /**
   * A careless holder asked for a fenced read: a 'holder' pause freezes it
   * now, before it gets the answer, so it writes only after it resumes; an
   * 'isolate' step cuts it off now and returns when its answer may go.
   */
  onStoreRead(id: string): Promise<void> | undefined {
    return this.holderHook?.(id);
  }

  /** Ends every fault now: links healed, members resumed, dead ones restarted. */
  async healAll(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.active.clear();
    this.holderHook = undefined;
    for (const answer of this.answersHeld) answer();
    this.answersHeld.clear();
    this.mesh.healAll();
    await Promise.all(this.pending);
    for (const id of this.cluster.ids) this.cluster.resume(id);
    await Promise.all(
      this.cluster.ids.filter((id) => !this.cluster.isRunning(id)).map((id) => this.cluster.start(id)),
    );
    this.down.clear();
  }

  /** Applies a step's fault; returns what ends it. */
  private begin(step: Step, t0: number): () => Promise<void> {
    const at = ((performance.now() - t0) / 1000).toFixed(3);
    const fault = step.fault;
    if (fault.kind === 'pause' && fault.target === 'holder') return this.pauseHolder(at);
    if (fault.kind === 'isolate') return this.isolateHolder(at);
    if (fault.kind === 'kill' || fault.kind === 'pause') {
      const id = this.resolve(fault.target);
      if (id === undefined) {
        this.counts.skipped++;
        this.log(`  +${at}s skipped: ${describeFault(fault)} (target down, unknown, or a majority would be)`);
        return async () => {};
      }
      this.counts.applied[fault.kind]++;
      this.down.add(id);
      this.log(
        `  +${at}s ${fault.kind === 'kill' ? 'SIGKILL' : 'SIGSTOP'} ${id}${fault.target === 'leader' ? ' (leader)' : ''}`,
      );
      if (fault.kind === 'pause') {
        this.cluster.pause(id);
        return async () => {
          this.cluster.resume(id);
          this.down.delete(id);
        };
      }
      const killed = this.track(this.cluster.kill(id));
      return async () => {
        await killed;
        await this.cluster.start(id);
        this.down.delete(id);
      };
    }
    const links = this.linksOf(fault);
    const active: ActiveLinkFault = { links, state: stateOf(fault) };
    this.counts.applied[fault.kind]++;
    this.active.add(active);
    const side = fault.kind === 'partition' ? ` = [${[...this.sideOf(fault.side)].join(',')}]` : '';
    this.log(`  +${at}s ${describeFault(fault)}${side}`);
    this.apply();
    return async () => {
      this.active.delete(active);
      this.apply();
    };
  }

  /** Freezes the next careless holder that reads the counter, before its read is answered. */
  private pauseHolder(at: string): () => Promise<void> {
    let paused: string | undefined;
    const hook = (id: string): undefined => {
      if (this.resolve(id) === undefined) return;
      this.holderHook = undefined;
      paused = id;
      this.counts.applied.pause++;
      this.down.add(id);
      this.cluster.pause(id);
      this.log(`  SIGSTOP ${id}, a lock holder between its read and its write (step at +${at}s)`);
      return undefined;
    };
    this.holderHook = hook;
    return async () => {
      // Another holder step may have begun meanwhile: its hook stays.
      if (this.holderHook === hook) this.holderHook = undefined;
      if (paused === undefined) return;
      this.cluster.resume(paused);
      this.down.delete(paused);
    };
  }

  /**
   * Cuts the next careless holder that reads the counter off from every peer
   * (connections held) and holds back the answer to its read until the step
   * ends; it keeps running, and reporting whether its lock is valid.
   */
  private isolateHolder(at: string): () => Promise<void> {
    let isolated: { id: string; active: ActiveLinkFault; answer: () => void } | undefined;
    const hook = (id: string): Promise<void> | undefined => {
      if (this.resolve(id) === undefined) return undefined;
      this.holderHook = undefined;
      const fault = { kind: 'partition', side: [id], mode: 'hold' } as const;
      let answer = (): void => {};
      const answered = new Promise<void>((resolve) => {
        answer = resolve;
      });
      isolated = { id, active: { links: this.linksOf(fault), state: stateOf(fault) }, answer };
      this.answersHeld.add(answer);
      this.counts.applied.isolate++;
      this.down.add(id);
      this.active.add(isolated.active);
      this.apply();
      this.log(`  cut ${id} off, a lock holder between its read and its write (step at +${at}s)`);
      return answered;
    };
    this.holderHook = hook;
    return async () => {
      // Another holder step may have begun meanwhile: its hook stays.
      if (this.holderHook === hook) this.holderHook = undefined;
      if (isolated === undefined) return;
      this.active.delete(isolated.active);
      this.apply();
      this.down.delete(isolated.id);
      this.answersHeld.delete(isolated.answer);
      isolated.answer();
    };
  }

  private track(work: Promise<void>): Promise<void> {
    this.pending.add(work);
    return work.finally(() => this.pending.delete(work));
  }

  private resolve(target: Target): string | undefined {
    const id = target === 'leader' ? this.leaderNow() : target;
    if (id === undefined || this.down.has(id) || !this.cluster.isRunning(id)) return undefined;
    const downMax = Math.floor((this.cluster.ids.length - 1) / 2);
    const downNow = this.cluster.ids.filter((m) => this.down.has(m) || !this.cluster.isRunning(m)).length;
    return downNow < downMax ? id : undefined;
  }

  private linksOf(fault: Exclude<Fault, { kind: 'kill' | 'pause' | 'isolate' }>): LinkId[] {
    if (fault.kind === 'cut') {
      const forward = { from: fault.a, to: fault.b };
      return fault.way === 'both' ? [forward, { from: fault.b, to: fault.a }] : [forward];
    }
    if (fault.kind === 'slow')
      return [
        { from: fault.a, to: fault.b },
        { from: fault.b, to: fault.a },
      ];
    const side = this.sideOf(fault.side);
    const links: LinkId[] = [];
    for (const a of side) {
      for (const b of this.cluster.ids) {
        if (!side.has(b)) links.push({ from: a, to: b }, { from: b, to: a });
      }
    }
    return links;
  }

  private sideOf(targets: readonly Target[]): Set<string> {
    const ids = targets.map((t) => (t === 'leader' ? this.leaderNow() : t));
    return new Set(ids.filter((id): id is string => id !== undefined));
  }

  /** Sets every proxy to the combination of the link faults in force on it. */
  private apply(): void {
    const states = new Map<string, ProxyState>();
    for (const { links, state } of this.active) {
      for (const link of links) {
        const k = `${link.from}>${link.to}`;
        states.set(k, combine(states.get(k) ?? HEALTHY, state));
      }
    }
    for (const from of this.cluster.ids) {
      for (const to of this.cluster.ids) {
        if (from !== to) this.mesh.set({ from, to }, states.get(`${from}>${to}`) ?? HEALTHY);
      }
    }
  }
}

function stateOf(fault: Exclude<Fault, { kind: 'kill' | 'pause' | 'isolate' }>): ProxyState {
  if (fault.kind === 'slow') return { mode: 'pass', delayMs: fault.delayMs, bytesPerSec: fault.bytesPerSec };
  return { mode: fault.mode, delayMs: 0, bytesPerSec: 0 };
}

const SEVERITY = { pass: 0, hold: 1, reset: 2 } as const;

function combine(a: ProxyState, b: ProxyState): ProxyState {
  const mode = SEVERITY[a.mode] >= SEVERITY[b.mode] ? a.mode : b.mode;
  const rates = [a.bytesPerSec, b.bytesPerSec].filter((r) => r > 0);
  return {
    mode,
    delayMs: Math.max(a.delayMs, b.delayMs),
    bytesPerSec: rates.length > 0 ? Math.min(...rates) : 0,
  };
}
