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
  /** Links whose messages wait until released. */
  private readonly held = new Set<string>();

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
    this.held.add(`${from}>${to}`);
  }

  /** Ends a hold; the caller delivers what waited. */
  release(from: MemberId, to: MemberId): void {
    this.held.delete(`${from}>${to}`);
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
