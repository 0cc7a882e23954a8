import type { CoordinationEffect, LockSpace } from '../../state/coordination-commands.js';
import type { EffectRecorder } from './routed-machine.js';

/** A grant as the applied history holds it. */
export interface GrantRecord {
  readonly index: number;
  readonly leaseId: number;
  readonly waiterId: number;
  readonly fencingToken: number;
}

/** How a grant ended: the entry that ended it, and why. */
export interface GrantEnd {
  readonly index: number;
  readonly reason: string;
}

/** What the history saw, for a run's figures. */
export interface AppliedEffectsStats {
  /** Entries applied by some member (their first application). */
  readonly entries: number;
  readonly grants: number;
  /** Entries that expired a lease. */
  readonly expiries: number;
  /** Later applications of an expiry entry (other members, restarts) compared with the first one. */
  readonly expiryComparisons: number;
  /** States replaced by a snapshot (installed from a leader, or recovered at a restart). */
  readonly restores: number;
}

/** Table key of a lock or election. */
function keyOf(space: LockSpace, name: string): string {
  return `${space}:${name}`;
}

/**
 * The coordination effects every member applied, entry by entry, shared by
 * all members of one RuntimeSim. The first application of an index defines
 * what that entry did; every later one — another member, or the same member
 * replaying its log after a restart — must list the same effects in the same
 * order (so an expiry releases the same locks, and grants the same waiters,
 * at the same index everywhere). Entries covered by a snapshot a member
 * installed are not applied there; the final check compares whole states.
 *
 * First applications happen in index order (a member applies in order, and a
 * snapshot is taken from a state someone applied), so grants are seen in log
 * order here: each grant's fencing token must be its entry's index and
 * larger than every earlier grant of its lock. The grants and their ends are
 * kept for the checks after healing (no acknowledged grant or release lost).
 */
export class AppliedEffects implements EffectRecorder {
  /** The first broken rule, naming the index. */
  violation: string | undefined;
  /** Told of every grant at its entry's first application anywhere (HeldGrants.grantedInLog). */
  onGranted: ((space: LockSpace, name: string, fencingToken: number) => void) | undefined;
  private readonly byIndex = new Map<number, string>();
  private readonly grants = new Map<string, GrantRecord[]>();
  private readonly ends = new Map<string, GrantEnd>();
  private readonly expiryIndexes = new Set<number>();
  private expiryComparisons = 0;
  private restores = 0;

  restored(): void {
    this.restores++;
  }

  applied(member: string, index: number, effects: readonly CoordinationEffect[]): void {
    const text = JSON.stringify(effects);
    const first = this.byIndex.get(index);
    if (first !== undefined) {
      if (first !== text) {
        this.violation ??= `${member} applied index ${index} with effects ${text}, where it had ${first} before`;
      }
      if (this.expiryIndexes.has(index)) this.expiryComparisons++;
      return;
    }
    this.byIndex.set(index, text);
    for (const e of effects) this.learn(e);
  }

  /** The grant of `space`/`name` with this fencing token, if one was applied. */
  grant(space: LockSpace, name: string, fencingToken: number): GrantRecord | undefined {
    return this.grants.get(keyOf(space, name))?.find((g) => g.fencingToken === fencingToken);
  }

  /** How the grant `fencingToken` of `space`/`name` ended, if it did. */
  end(space: LockSpace, name: string, fencingToken: number): GrantEnd | undefined {
    return this.ends.get(`${keyOf(space, name)}#${fencingToken}`);
  }

  /** The first grant of `space`/`name` after the grant `fencingToken`. */
  nextGrant(space: LockSpace, name: string, fencingToken: number): GrantRecord | undefined {
    return this.grants.get(keyOf(space, name))?.find((g) => g.fencingToken > fencingToken);
  }

  /** The highest index some member applied. */
  get lastIndex(): number {
    let last = 0;
    for (const index of this.byIndex.keys()) if (index > last) last = index;
    return last;
  }

  stats(): AppliedEffectsStats {
    let grants = 0;
    for (const list of this.grants.values()) grants += list.length;
    return {
      entries: this.byIndex.size,
      grants,
      expiries: this.expiryIndexes.size,
      expiryComparisons: this.expiryComparisons,
      restores: this.restores,
    };
  }

  private learn(e: CoordinationEffect): void {
    if (e.type === 'leaseEnded' && e.reason === 'expired') this.expiryIndexes.add(e.index);
    if (e.type === 'released') {
      this.ends.set(`${keyOf(e.space, e.name)}#${e.fencingToken}`, { index: e.index, reason: e.reason });
      return;
    }
    if (e.type !== 'granted') return;
    const key = keyOf(e.space, e.name);
    const list = this.grants.get(key) ?? [];
    const last = list.at(-1);
    if (e.fencingToken !== e.index) {
      this.violation ??= `${key} granted with fencing token ${e.fencingToken} at index ${e.index}`;
    } else if (last !== undefined && e.fencingToken <= last.fencingToken) {
      this.violation ??= `${key} granted with fencing token ${e.fencingToken} after token ${last.fencingToken}`;
    }
    list.push({ index: e.index, leaseId: e.leaseId, waiterId: e.waiterId, fencingToken: e.fencingToken });
    this.grants.set(key, list);
    this.onGranted?.(e.space, e.name, e.fencingToken);
  }
}
