import type { MemberId, Message } from '../raft/types.js';
import type { Rng } from './rng.js';

/** How badly the simulated network behaves. Probabilities are per message. */
export interface NetworkFaults {
  /** Probability that a copy of a message is lost. */
  readonly dropRate: number;
  /** Probability that a message is delivered twice (each copy has its own delay). */
  readonly duplicateRate: number;
  /** Every delivery takes a uniform delay in [delayMinUs, delayMaxUs]. */
  readonly delayMinUs: number;
  readonly delayMaxUs: number;
  /** Probability of a long delay in (delayMaxUs, slowDelayMaxUs] instead: this is what reorders messages. */
  readonly slowRate: number;
  readonly slowDelayMaxUs: number;
  /**
   * Keep each link first-in first-out, like one TCP connection: a message never
   * overtakes an earlier one from the same sender to the same addressee.
   * Without it, delay jitter reorders messages. Default false.
   */
  readonly fifo?: boolean;
}

/** A healthy network between processes: no loss, no duplicates, jittery delays, each link in order (TCP). */
export const RELIABLE_NETWORK: NetworkFaults = Object.freeze({
  dropRate: 0,
  duplicateRate: 0,
  delayMinUs: 200,
  delayMaxUs: 2_000,
  slowRate: 0,
  slowDelayMaxUs: 2_000,
  fifo: true,
});

/** One copy of a message on its way, and the global time it arrives. */
export interface Delivery {
  readonly atUs: number;
  readonly message: Message;
}

/**
 * Rewrites or drops a message as it is sent (scripted tests only): return the
 * message, a replacement, or undefined to drop it.
 */
export type MessageInterceptor = (message: Message) => Message | undefined;

/** Counters of what the network did. */
export interface NetworkStats {
  sent: number;
  dropped: number;
  duplicated: number;
  blocked: number;
  delivered: number;
}

const LINK_SEPARATOR = '\u0000';

/**
 * The simulated network between members: seeded delays (and so reordering),
 * loss, duplication, and partitions made of cut one-way links. A cut link
 * loses messages both when they are sent and when they would arrive, like a
 * TCP connection that breaks while data is in flight.
 *
 * The network only decides; the simulator schedules the deliveries it returns
 * and asks `admits` again when each one comes due.
 */
export class SimNetwork {
  readonly members: readonly MemberId[];
  readonly stats: NetworkStats = { sent: 0, dropped: 0, duplicated: 0, blocked: 0, delivered: 0 };
  private readonly rng: Rng;
  private currentFaults: NetworkFaults;
  private readonly cut = new Set<string>();
  private partitionLabel = 'none';
  private interceptor: MessageInterceptor | undefined;
  /** Per link, the latest arrival time handed out (for FIFO links). */
  private readonly lastArrivalUs = new Map<string, number>();

  constructor(members: readonly MemberId[], rng: Rng, faults: NetworkFaults = RELIABLE_NETWORK) {
    this.members = members.slice();
    this.rng = rng;
    this.currentFaults = checkFaults(faults);
  }

  get faults(): NetworkFaults {
    return this.currentFaults;
  }

  set faults(faults: NetworkFaults) {
    this.currentFaults = checkFaults(faults);
  }

  /** A short description of the partition in force, for traces: 'none' when fully connected. */
  get partition(): string {
    return this.partitionLabel;
  }

  /** Installs (or with undefined removes) a hook that sees every message as it is sent. */
  setInterceptor(interceptor: MessageInterceptor | undefined): void {
    this.interceptor = interceptor;
  }

  /** The copies of `message` that will arrive, and when; empty when it is lost. */
  send(message: Message, nowUs: number): Delivery[] {
    this.stats.sent++;
    const faults = this.currentFaults;
    // Every draw happens whatever the outcome, so the stream does not depend on the partition.
    const duplicate = this.rng.chance(faults.duplicateRate);
    const copies = duplicate ? 2 : 1;
    const out: Delivery[] = [];
    for (let i = 0; i < copies; i++) {
      const lost = this.rng.chance(faults.dropRate);
      const delayUs = this.drawDelayUs(faults);
      if (lost) {
        this.stats.dropped++;
        continue;
      }
      out.push({ atUs: this.arrivalUs(message, nowUs + delayUs, faults), message });
    }
    if (duplicate && out.length === 2) this.stats.duplicated++;
    const intercepted = this.interceptor ? this.interceptor(message) : message;
    if (intercepted === undefined) {
      this.stats.dropped += out.length;
      return [];
    }
    if (!this.isLinkUp(message.from, message.to)) {
      this.stats.blocked += out.length;
      return [];
    }
    return intercepted === message ? out : out.map((d) => ({ atUs: d.atUs, message: intercepted }));
  }

  /** Whether a copy that comes due now may be handed to its addressee (its link may have been cut meanwhile). */
  admits(message: Message): boolean {
    if (!this.isLinkUp(message.from, message.to)) {
      this.stats.blocked++;
      return false;
    }
    this.stats.delivered++;
    return true;
  }

  /** Whether messages from `from` currently reach `to`. */
  isLinkUp(from: MemberId, to: MemberId): boolean {
    return !this.cut.has(from + LINK_SEPARATOR + to);
  }

  /** Symmetric split: members of `side` and everybody else no longer hear each other. */
  split(side: readonly MemberId[]): void {
    const other = this.members.filter((m) => !side.includes(m));
    this.cutBetween(side, other);
    this.cutBetween(other, side);
    this.partitionLabel = `split ${side.join(',')} | ${other.join(',')}`;
  }

  /** One-way cut: `to` stops hearing `from`, while `from` still hears `to`. */
  cutOneWay(from: MemberId, to: MemberId): void {
    this.cut.add(from + LINK_SEPARATOR + to);
    this.partitionLabel =
      this.partitionLabel === 'none'
        ? `oneway ${from}->${to}`
        : `${this.partitionLabel}; oneway ${from}->${to}`;
  }

  /** Cuts `member` off from everybody in both directions (an isolated leader, typically). */
  isolate(member: MemberId): void {
    this.split([member]);
    this.partitionLabel = `isolate ${member}`;
  }

  /**
   * Bridge: `bridge` hears and is heard by both halves, the halves do not hear
   * each other. Members in neither half keep their links.
   */
  bridge(bridge: MemberId, halfA: readonly MemberId[], halfB: readonly MemberId[]): void {
    const a = halfA.filter((m) => m !== bridge);
    const b = halfB.filter((m) => m !== bridge);
    this.cutBetween(a, b);
    this.cutBetween(b, a);
    this.partitionLabel = `bridge ${bridge} between ${a.join(',')} | ${b.join(',')}`;
  }

  /** Restores every link. Messages already lost stay lost. */
  heal(): void {
    this.cut.clear();
    this.partitionLabel = 'none';
  }

  private cutBetween(from: readonly MemberId[], to: readonly MemberId[]): void {
    for (const f of from) for (const t of to) if (f !== t) this.cut.add(f + LINK_SEPARATOR + t);
  }

  /** On a FIFO link a message arrives no earlier than the one sent before it (ties keep send order). */
  private arrivalUs(message: Message, atUs: number, faults: NetworkFaults): number {
    if (!faults.fifo) return atUs;
    const link = message.from + LINK_SEPARATOR + message.to;
    const arrival = Math.max(atUs, this.lastArrivalUs.get(link) ?? 0);
    this.lastArrivalUs.set(link, arrival);
    return arrival;
  }

  private drawDelayUs(faults: NetworkFaults): number {
    const slow = this.rng.chance(faults.slowRate);
    const fast = this.rng.int(faults.delayMinUs, faults.delayMaxUs);
    if (!slow || faults.slowDelayMaxUs <= faults.delayMaxUs) return fast;
    return this.rng.int(faults.delayMaxUs + 1, faults.slowDelayMaxUs);
  }
}

function checkFaults(faults: NetworkFaults): NetworkFaults {
  const rates = [faults.dropRate, faults.duplicateRate, faults.slowRate];
  if (rates.some((r) => !(r >= 0 && r <= 1))) throw new RangeError('network fault rates must be in [0, 1]');
  if (!Number.isSafeInteger(faults.delayMinUs) || !Number.isSafeInteger(faults.delayMaxUs)) {
    throw new RangeError('network delays must be integer microseconds');
  }
  if (!(faults.delayMinUs >= 1 && faults.delayMaxUs >= faults.delayMinUs)) {
    throw new RangeError('network delays need 1 <= delayMinUs <= delayMaxUs');
  }
  if (!Number.isSafeInteger(faults.slowDelayMaxUs)) throw new RangeError('slowDelayMaxUs must be an integer');
  return Object.freeze({ ...faults });
}
