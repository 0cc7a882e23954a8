import type { ProposeResult } from '../raft/raw-node.js';
import type { ClusterConfig, ConfigChange, MemberId } from '../raft/types.js';
import type { Rng } from './rng.js';
import { type NetworkFaults, RELIABLE_NETWORK, type SimNetwork } from './sim-network.js';

/** What the fault injector may do to a running simulation. */
export interface FaultTarget {
  readonly ids: readonly MemberId[];
  readonly network: SimNetwork;
  readonly tickUs: number;
  isUp(id: MemberId): boolean;
  leader(): MemberId | undefined;
  crash(id: MemberId): void;
  restart(id: MemberId): void;
  /** Restarts `id` `afterUs` from now (unless something restarts it sooner). */
  scheduleRestart(id: MemberId, afterUs: number): void;
  /** Makes the next fsync `id` starts end in a crash before it completes. */
  armCrashDuringSync(id: MemberId): void;
  transferLeadership(from: MemberId, to: MemberId): void;
  /** Makes the next member to become leader crash or be cut off shortly after. */
  armAmbush(): void;
  /** The membership in force on `id` (undefined while it is down). */
  config(id: MemberId): ClusterConfig | undefined;
  proposeConfigChange(id: MemberId, change: ConfigChange): ProposeResult | undefined;
}

/** The faults `act` picks from, with their weights (out of 100). */
const FAULT_WEIGHTS = [
  ['partition', 15],
  ['deposed', 5],
  ['heal', 9],
  ['crash', 13],
  ['crashDuringSync', 8],
  ['restart', 10],
  ['transfer', 10],
  ['ambush', 10],
  ['membership', 8],
  ['weather', 12],
] as const;

type FaultKind = (typeof FAULT_WEIGHTS)[number][0];

/**
 * The safety phase's adversary: each call to `act` performs one random fault
 * — a partition of some kind, a heal, a crash (at a random instant or inside
 * an fsync), a restart, a leadership transfer, an ambush of the next leader
 * soon after its election (the Figure 8 pattern), a membership change, or a
 * change of network weather — and says how long to wait before the next one. Its choices come
 * from its own random stream only.
 */
export class FaultInjector {
  private readonly rng: Rng;
  private readonly target: FaultTarget;
  /** How long a crashed member stays down at most, in ticks. */
  readonly downTicksMax: number;

  /** The network to return to when the weather calms down. */
  private readonly calm: NetworkFaults;

  constructor(rng: Rng, target: FaultTarget, calm: NetworkFaults = RELIABLE_NETWORK, downTicksMax = 40) {
    this.rng = rng;
    this.target = target;
    this.calm = calm;
    this.downTicksMax = downTicksMax;
  }

  /** Performs one fault; returns a description for the trace and the delay (µs) until the next one. */
  act(): { description: string; nextInUs: number } {
    let roll = this.rng.int(0, 99);
    let kind: FaultKind = 'weather';
    for (const [k, weight] of FAULT_WEIGHTS) {
      if (roll < weight) {
        kind = k;
        break;
      }
      roll -= weight;
    }
    const description = this[kind]();
    const tickUs = this.target.tickUs;
    return { description, nextInUs: this.rng.int(Math.ceil(tickUs / 4), 12 * tickUs) };
  }

  private partition(): string {
    const t = this.target;
    const net = t.network;
    net.heal();
    const ids = this.rng.shuffle(t.ids);
    const kind = this.rng.int(0, 4);
    if (ids.length < 2) return 'partition skipped: one member';
    if (kind === 0 || (kind === 4 && ids.length < 3)) {
      net.split(ids.slice(0, this.rng.int(1, Math.floor(ids.length / 2))));
    } else if (kind === 1) {
      // One member's outgoing (or incoming) links all cut: it hears but is not heard, or the reverse.
      const [x] = ids as [MemberId];
      const outgoing = this.rng.chance(0.5);
      for (const other of ids.slice(1)) outgoing ? net.cutOneWay(x, other) : net.cutOneWay(other, x);
    } else if (kind === 2) {
      net.cutOneWay(ids[0] as MemberId, ids[1] as MemberId);
    } else if (kind === 3) {
      net.isolate(t.leader() ?? (ids[0] as MemberId));
    } else {
      const [bridge, ...rest] = ids as [MemberId, ...MemberId[]];
      const cut = this.rng.int(1, rest.length - 1);
      net.bridge(bridge, rest.slice(0, cut), rest.slice(cut));
    }
    return `partition ${net.partition}`;
  }

  /**
   * The leader hands over to another voter and stops hearing anyone: the new
   * leader serves clients while the old one still believes it leads, until
   * CheckQuorum demotes it. A read it answered without confirming its
   * leadership would miss the new leader's writes.
   */
  private deposed(): string {
    const t = this.target;
    const leader = t.leader();
    if (leader === undefined) return 'deposed skipped: no leader';
    const to = this.rng.pick(t.ids.filter((id) => id !== leader));
    t.network.heal();
    t.transferLeadership(leader, to);
    for (const other of t.ids) if (other !== leader) t.network.cutOneWay(other, leader);
    return `deposed ${leader} (transfer to ${to}, then ${leader} hears nobody)`;
  }

  private heal(): string {
    this.target.network.heal();
    return 'heal';
  }

  private crash(): string {
    const up = this.target.ids.filter((id) => this.target.isUp(id));
    if (up.length === 0) return 'crash skipped: all down';
    const victim = this.rng.pick(up);
    this.target.crash(victim);
    // Half the crashes are quick reboots: a member back before anyone's timeout has forgotten what it heard.
    const downUs = this.rng.chance(0.5)
      ? this.rng.int(1, 3 * this.target.tickUs)
      : this.rng.int(1, this.downTicksMax) * this.target.tickUs;
    this.target.scheduleRestart(victim, downUs);
    return `crash ${victim}`;
  }

  private crashDuringSync(): string {
    const up = this.target.ids.filter((id) => this.target.isUp(id));
    if (up.length === 0) return 'arm skipped: all down';
    const victim = this.rng.pick(up);
    this.target.armCrashDuringSync(victim);
    return `arm crash-during-fsync ${victim}`;
  }

  private restart(): string {
    const down = this.target.ids.filter((id) => !this.target.isUp(id));
    if (down.length === 0) return 'restart skipped: all up';
    const id = this.rng.pick(down);
    this.target.restart(id);
    return `restart ${id}`;
  }

  private transfer(): string {
    const leader = this.target.leader();
    if (leader === undefined) return 'transfer skipped: no leader';
    const to = this.rng.pick(this.target.ids.filter((id) => id !== leader).concat([leader]));
    this.target.transferLeadership(leader, to);
    return `transfer ${leader} -> ${to}`;
  }

  /** A single-server membership change on the leader: remove or demote a voter, or bring a member back. */
  private membership(): string {
    const t = this.target;
    const leader = t.leader();
    const config = leader === undefined ? undefined : t.config(leader);
    if (leader === undefined || config === undefined) return 'membership skipped: no leader';
    const absent = t.ids.filter((id) => !config.voters.includes(id));
    const votersMin = Math.max(2, Math.ceil(t.ids.length / 2));
    const grow = absent.length > 0 && (config.voters.length <= votersMin || this.rng.chance(0.6));
    let change: ConfigChange;
    if (grow) {
      const id = this.rng.pick(absent);
      change =
        config.learners.includes(id) || this.rng.chance(0.5)
          ? { op: 'addVoter', id }
          : { op: 'addLearner', id };
    } else if (config.voters.length > votersMin) {
      const id = this.rng.pick(config.voters);
      change = this.rng.chance(0.7) ? { op: 'removeMember', id } : { op: 'addLearner', id };
    } else {
      return 'membership skipped: too few voters';
    }
    const result = t.proposeConfigChange(leader, change);
    const outcome = result === undefined ? 'down' : result.ok ? `ok ${result.index}` : result.reason;
    return `membership ${change.op} ${change.id} on ${leader}: ${outcome}`;
  }

  private ambush(): string {
    this.target.armAmbush();
    return 'arm ambush of the next leader';
  }

  private weather(): string {
    const kind = this.rng.int(0, 2);
    const tickUs = this.target.tickUs;
    const faults: NetworkFaults =
      kind === 0
        ? this.calm
        : kind === 1
          ? {
              dropRate: this.rng.real(0.01, 0.15),
              duplicateRate: this.rng.real(0, 0.05),
              delayMinUs: 100,
              delayMaxUs: 3_000,
              slowRate: this.rng.real(0, 0.1),
              slowDelayMaxUs: 3 * tickUs,
            }
          : {
              dropRate: this.rng.real(0.15, 0.4),
              duplicateRate: this.rng.real(0.05, 0.2),
              delayMinUs: 100,
              delayMaxUs: 5_000,
              slowRate: this.rng.real(0.05, 0.3),
              slowDelayMaxUs: 8 * tickUs,
            };
    this.target.network.faults = faults;
    return `network ${['calm', 'lossy', 'chaotic'][kind]} drop ${faults.dropRate.toFixed(2)} dup ${faults.duplicateRate.toFixed(2)}`;
  }
}
