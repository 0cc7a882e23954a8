import type { MemberId } from '../raft/types.js';
import { FaultInjector, type FaultTarget } from './fault-injector.js';
import { runLivenessPhase } from './liveness-phase.js';
import type { MemberView } from './member-view.js';
import type { Rng } from './rng.js';
import { US_PER_MS } from './sim-clock.js';
import { SimCluster } from './sim-cluster.js';
import type { SimEvent } from './sim-events.js';
import type { SimulatorOptions } from './sim-options.js';

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

/**
 * A deterministic simulation of a Raft cluster (see SimCluster) with the
 * randomized test on top. Everything random follows from `options.seed`, so a
 * seed replays a run exactly.
 *
 * `run()` is a safety phase — faults on: loss, duplication, delay, partitions
 * of every kind, crashes (some inside an fsync, some of brand-new leaders),
 * restarts, leadership transfers, membership changes, clients proposing and
 * reading on random members — then a liveness phase (liveness-phase.ts).
 * Invariants are checked after every event throughout; the scripting API of
 * SimCluster stays available for hand-written scenarios.
 */
export class Simulator extends SimCluster implements FaultTarget {
  private readonly faults: FaultInjector;
  private readonly clientRng: Rng;
  private readonly restartRng: Rng;
  /** Extra proposals made in the same turn as a client's (only with inputTurns, see clientAct). */
  private readonly burstRng: Rng;
  private phase: 'script' | 'safety' | 'liveness' = 'script';
  private ambushArmed = false;
  /** Members seen leading at their last check, to spot new leaders. */
  private readonly leading = new Set<MemberId>();
  private clientCounter = 0;

  constructor(options: SimulatorOptions) {
    super(options);
    this.faults = new FaultInjector(this.rootRng.fork('faults'), this, this.options.network);
    this.clientRng = this.rootRng.fork('client');
    this.restartRng = this.rootRng.fork('restarts');
    this.burstRng = this.rootRng.fork('bursts');
  }

  /** The randomized run: safety phase with faults, then the liveness phase. Once per Simulator. */
  run(): SimResult {
    if (this.phase !== 'script') throw new Error('run() may be called only once');
    this.phase = 'safety';
    this.schedule(this.nowUs + this.clientRng.int(1, this.tickUs), { kind: 'client' });
    this.schedule(this.nowUs + this.restartRng.int(this.tickUs, 10 * this.tickUs), { kind: 'fault' });
    this.runFor(this.options.safetyTicks);
    this.phase = 'liveness';
    this.faultsOn = false;
    const livenessTicks = runLivenessPhase(this);
    return {
      seed: this.options.seed,
      members: this.options.members,
      traceHash: this.trace.hash(),
      events: this.events,
      simulatedMs: this.nowUs / US_PER_MS,
      proposals: this.client.proposals,
      acked: this.client.ackedCount,
      readsChecked: this.checkers.apply.readsChecked,
      livenessTicks,
    };
  }

  /** Makes the next member to become leader crash or be cut off soon after (the Figure 8 pattern). */
  armAmbush(): void {
    this.ambushArmed = true;
  }

  protected override handleAdversary(ev: SimEvent): void {
    if (this.phase !== 'safety') return;
    if (ev.kind === 'fault') {
      const { description, nextInUs } = this.faults.act();
      this.note(`fault ${description}`);
      this.schedule(this.nowUs + nextInUs, { kind: 'fault' });
    } else if (ev.kind === 'client') {
      this.clientAct();
    } else if (ev.kind === 'ambush' && this.member(ev.member).incarnation === ev.incarnation) {
      this.strike(ev.member);
    }
  }

  protected override onCrashedInsideFsync(id: MemberId): void {
    if (this.phase === 'safety') this.scheduleRestart(id, this.restartRng.int(1, 40) * this.tickUs);
  }

  protected override onObserved(view: MemberView): void {
    const leads = view.up && view.role === 'leader';
    if (leads && !this.leading.has(view.id) && this.ambushArmed && this.phase === 'safety') {
      this.ambushArmed = false;
      const atUs = this.nowUs + this.restartRng.int(0, 2 * this.tickUs);
      this.schedule(atUs, { kind: 'ambush', member: view.id, incarnation: this.member(view.id).incarnation });
    }
    if (leads) this.leading.add(view.id);
    else this.leading.delete(view.id);
  }

  /** One client request: most find the leader (a real client follows redirects), the rest land anywhere. */
  private clientAct(): void {
    const up = this.ids.filter((id) => this.isUp(id));
    const n = this.clientCounter++;
    if (up.length > 0) {
      const toLeader = this.clientRng.chance(0.6);
      const anyone = this.clientRng.pick(up);
      const id = toLeader ? (this.leader() ?? anyone) : anyone;
      if (this.clientRng.chance(0.2)) this.read(this.readTarget(up) ?? id, `r${n}`);
      else {
        this.propose(id, `c${n}`);
        for (let k = 1; k <= this.burstExtra(); k++) this.propose(id, `c${n}.${k}`);
      }
    }
    this.schedule(this.nowUs + this.clientRng.int(Math.ceil(this.tickUs / 10), 2 * this.tickUs), {
      kind: 'client',
    });
  }

  /**
   * How many more proposals go to the same member at the same instant — an
   * application that makes several requests in one turn of its event loop
   * (Promise.all over some locks). With inputTurns the member steps them all
   * before its driver runs, so they share an append per follower, as they do
   * in production. Without turns, none: those seeds replay as they did
   * before turns existed (bursts draw from a stream of their own).
   */
  private burstExtra(): number {
    if (!this.options.inputTurns || !this.burstRng.chance(0.3)) return 0;
    return this.burstRng.int(1, 4);
  }

  /**
   * Where an adversarial client reads: while two members believe they lead,
   * mostly at the one with the older term — a leader cut off from the rest
   * keeps believing it for a while after another was elected, and a read it
   * served without confirming its leadership would miss the new leader's
   * writes. Otherwise, now and then at any member that believes it leads.
   */
  private readTarget(up: readonly MemberId[]): MemberId | undefined {
    const believers = up.filter((id) => this.status(id)?.role === 'leader');
    const newest = this.leader();
    const stale = believers.filter((id) => id !== newest);
    if (stale.length > 0 && this.clientRng.chance(0.8)) return this.clientRng.pick(stale);
    if (believers.length > 0 && this.clientRng.chance(0.3)) return this.clientRng.pick(believers);
    return undefined;
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
}

export type { RunUntilOptions } from './sim-cluster.js';
