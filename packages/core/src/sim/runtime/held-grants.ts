import type { MemberId } from '../../raft/types.js';
import type { Lease } from '../../runtime/lease.js';
import type { LockSpace } from '../../state/coordination-commands.js';

/**
 * A lock or an election win as a simulated client holds it: what
 * `@baton/lock`'s HeldLock and `@baton/election`'s ElectionLeadership are —
 * a fencing token on a lease — with their `valid`: the lease's deadline
 * checked against the member's own clock now. A holder that started to
 * release (or resign, or close its Locks) has given the grant up at that
 * moment: from then on it does not act on it, so it no longer counts.
 */
export class SimGrant {
  /** Global µs at which its holder started to give it up. */
  gaveUpAtUs: number | undefined;
  /** Global µs at which it was acknowledged to its client. */
  ackedAtUs = 0;

  constructor(
    readonly space: LockSpace,
    readonly name: string,
    readonly member: MemberId,
    readonly incarnation: number,
    readonly fencingToken: number,
    readonly lease: Lease,
    private readonly alive: () => boolean,
  ) {}

  /** The lock or election's table key. */
  get key(): string {
    return `${this.space}:${this.name}`;
  }

  get leaseId(): number {
    return this.lease.id;
  }

  /** What the holder's `valid` says now (HeldLock.valid), unless it gave the grant up or its process died. */
  get valid(): boolean {
    return this.gaveUpAtUs === undefined && this.alive() && this.lease.valid;
  }

  /** Can it ever be valid again? (A lease's signal, once aborted, stays aborted.) */
  get over(): boolean {
    return this.gaveUpAtUs !== undefined || !this.alive() || this.lease.signal.aborted;
  }

  describe(): string {
    return `${this.key} token ${this.fencingToken} on ${this.member} (lease ${this.leaseId})`;
  }
}

/**
 * Every grant acknowledged to a simulated client, and the two checks on
 * them that hold at every instant (DESIGN.md §2.2, issue 10 and 11):
 * - at most one grant per lock (and per election) whose `valid` is true,
 *   each by its own member's clock — the check RuntimeSim runs after every
 *   event, like the one for leadership tokens;
 * - fencing tokens grow in the order grants are acknowledged: a grant
 *   acknowledged with a token no larger than one acknowledged before it
 *   must not be valid when it arrives (it can only be a grant whose lease
 *   ended meanwhile, learned late by a lagging member);
 * - no acknowledged grant is still valid when a later grant of its lock is
 *   first applied by any member (`grantedInLog`): the first check looks
 *   only once the later grant reaches its client, after its member applied
 *   it, which is too late to see a holder whose deadline ran a little long.
 * `check` throws an Error naming what broke; RuntimeSim adds the seed.
 */
export class HeldGrants {
  /** Every acknowledged grant, in acknowledgement order. */
  readonly acknowledged: SimGrant[] = [];
  /** Grants that may still be valid (pruned as they end for good). */
  private live: SimGrant[] = [];
  private readonly highestToken = new Map<string, number>();

  constructor(private readonly nowMs: () => number) {}

  /** The first broken rule seen while a client was handed a grant (reported by the next check). */
  private violation: string | undefined;

  /** A client was handed `grant` just now (inside its member's code: noted, thrown by the next check). */
  acknowledge(grant: SimGrant): void {
    const highest = this.highestToken.get(grant.key) ?? 0;
    if (grant.fencingToken <= highest && grant.valid) {
      this.violation ??= `${grant.describe()} acknowledged valid at ${this.nowMs().toFixed(3)} ms after token ${highest}`;
    }
    this.highestToken.set(grant.key, Math.max(highest, grant.fencingToken));
    this.acknowledged.push(grant);
    if (!grant.over) this.live.push(grant);
  }

  /**
   * The entry at `fencingToken` granting `space`/`name` was just applied for
   * the first time anywhere (AppliedEffects): from this instant its new
   * holder may act, so every earlier grant of that lock must be invalid
   * already (DESIGN.md §2.2: a holder's signal aborts before any other
   * member can be granted) — not only once the new grant reaches its
   * client, which can be much later.
   */
  grantedInLog(space: LockSpace, name: string, fencingToken: number): void {
    const key = `${space}:${name}`;
    for (const g of this.live) {
      if (g.key !== key || g.fencingToken >= fencingToken || !g.valid) continue;
      this.violation ??= `${g.describe()} still valid at ${this.nowMs().toFixed(3)} ms, when token ${fencingToken} was granted`;
    }
  }

  /** Throws if two grants of one lock or election are valid now. Runs after every event: plain loops. */
  check(): void {
    if (this.violation !== undefined) throw new Error(this.violation);
    let pruned = false;
    for (let i = 0; i < this.live.length; i++) {
      const a = this.live[i]!;
      if (a.over) {
        pruned = true;
        continue;
      }
      if (!a.valid) continue;
      for (let j = i + 1; j < this.live.length; j++) {
        const b = this.live[j]!;
        if (b.key === a.key && b.valid) {
          throw new Error(
            `two valid holders of ${a.key} at ${this.nowMs().toFixed(3)} ms: ${a.describe()} and ${b.describe()}`,
          );
        }
      }
    }
    if (pruned) this.live = this.live.filter((g) => !g.over);
  }
}
