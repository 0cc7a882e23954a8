import type { MemberId } from '../../raft/types.js';
import type { Rng } from '../rng.js';
import { US_PER_MS } from '../sim-clock.js';

/** What became of one message handed to the simulated network. */
export type Route =
  /** It arrives after `delayUs`. */
  | { readonly kind: 'delivered'; readonly delayUs: number }
  /** Lost on the way; the sender's transport thinks it left. */
  | { readonly kind: 'lost' }
  /** Refused by the sender's transport: the link is down and the transport knows it. */
  | { readonly kind: 'refused' }
  /** Held back on a stalled link until it is released (see hold). */
  | { readonly kind: 'held' };

/**
 * The links between RuntimeSim's members: one-way cuts, random loss and
 * delay. A cut link either refuses sends (the transport saw the connection
 * close) or swallows them silently (a half-open connection not yet timed
 * out), drawn per cut from the seed: the forwarder treats the two
 * differently. Raft messages ignore the difference.
 */
export class SimLinks {
  /** Cut links `from>to`, and whether the sender's transport knows. */
  private readonly cut = new Map<string, boolean>();
  /** Held links, with the deliveries waiting on each until it is released. */
  private readonly held = new Map<string, (() => void)[]>();
  /** Raft messages stepped, and when the last one was (global ms), by link. */
  private readonly stepped = new Map<string, { count: number; lastMs: number }>();

  /**
   * `rng` draws loss and delays; `cutDraws` (a separate stream, so cuts do
   * not shift the network's draws) whether a cut is known to the sender.
   */
  constructor(
    private readonly rng: Rng,
    private readonly cutDraws: Rng,
    private readonly delayMs: readonly [number, number],
    private readonly dropRate: number,
  ) {}

  /** Cuts the links between two groups of members, both directions. */
  partition(a: readonly MemberId[], b: readonly MemberId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutOneWay(x, y);
        this.cutOneWay(y, x);
      }
    }
  }

  /** Cuts only the link from `from` to `to`. */
  cutOneWay(from: MemberId, to: MemberId): void {
    const link = `${from}>${to}`;
    if (!this.cut.has(link)) this.cut.set(link, this.cutDraws.chance(0.5));
  }

  /**
   * Stalls the link from `from` to `to`: its messages wait (a TCP
   * connection retransmitting into a black hole) until `release`.
   */
  hold(from: MemberId, to: MemberId): void {
    const link = `${from}>${to}`;
    if (!this.held.has(link)) this.held.set(link, []);
  }

  /** A message routed 'held' waits: `deliver` runs when the link is released. */
  holdBack(from: MemberId, to: MemberId, deliver: () => void): void {
    this.held.get(`${from}>${to}`)?.push(deliver);
  }

  /** Ends a hold; returns the deliveries that waited, oldest first, for the caller to run. */
  release(from: MemberId, to: MemberId): (() => void)[] {
    const link = `${from}>${to}`;
    const waiting = this.held.get(link) ?? [];
    this.held.delete(link);
    return waiting;
  }

  /** `to` stepped a Raft message from `from` at global time `nowMs`. */
  noteStepped(from: MemberId, to: MemberId, nowMs: number): void {
    const link = `${from}>${to}`;
    this.stepped.set(link, { count: (this.stepped.get(link)?.count ?? 0) + 1, lastMs: nowMs });
  }

  /** How many Raft messages `to` has stepped from `from`. */
  deliveredCount(from: MemberId, to: MemberId): number {
    return this.stepped.get(`${from}>${to}`)?.count ?? 0;
  }

  /** When `to` last stepped a Raft message from `from` (global ms; -Infinity if never). */
  lastSteppedMs(from: MemberId, to: MemberId): number {
    return this.stepped.get(`${from}>${to}`)?.lastMs ?? Number.NEGATIVE_INFINITY;
  }

  /** Restores every link (held ones stay held until released). */
  heal(): void {
    this.cut.clear();
  }

  /** Decides the fate of one message from `from` to `to`. */
  route(from: MemberId, to: MemberId): Route {
    const known = this.cut.get(`${from}>${to}`);
    if (known !== undefined) return known ? { kind: 'refused' } : { kind: 'lost' };
    if (this.held.has(`${from}>${to}`)) return { kind: 'held' };
    if (this.rng.chance(this.dropRate)) return { kind: 'lost' };
    return { kind: 'delivered', delayUs: this.rng.real(this.delayMs[0], this.delayMs[1]) * US_PER_MS };
  }
}
