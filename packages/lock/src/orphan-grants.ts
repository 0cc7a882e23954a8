import type { Coordination, CoordinationEffect } from '@baton/core';

interface Orphan {
  readonly name: string;
  readonly leaseId: number;
  readonly waiterId: number;
}

/**
 * Requests this Locks instance gave up on whose fate is not settled yet (a
 * cancel that could not be confirmed, an acquire answered late). If one of
 * them is granted after all, the grant is released at once: a lock is never
 * left held by nobody until the lease ends. A request leaves the set when it
 * is withdrawn, granted (and released), or its lease ends.
 */
export class OrphanGrants {
  private readonly orphans = new Map<string, Orphan>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly coordination: Coordination,
    private readonly release: (name: string, leaseId: number, fencingToken: number) => Promise<void>,
  ) {
    this.unsubscribe = [
      coordination.onEffect((e) => this.onEffect(e)),
      coordination.onRestore(() => {
        for (const o of [...this.orphans.values()]) this.fromState(o);
      }),
    ];
  }

  /** Watches request `waiterId` of lease `leaseId` on lock `name` until its fate is settled. */
  watch(name: string, leaseId: number, waiterId: number): void {
    const orphan = { name, leaseId, waiterId };
    this.orphans.set(keyOf(orphan), orphan);
    this.fromState(orphan);
  }

  dispose(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.orphans.clear();
  }

  private onEffect(e: CoordinationEffect): void {
    if (this.orphans.size === 0) return;
    if (e.type === 'leaseEnded') {
      for (const [key, o] of this.orphans) if (o.leaseId === e.leaseId) this.orphans.delete(key);
      return;
    }
    if ((e.type !== 'granted' && e.type !== 'waitEnded') || e.space !== 'lock') return;
    const key = keyOf({ name: e.name, leaseId: e.leaseId, waiterId: e.waiterId });
    if (!this.orphans.delete(key)) return;
    if (e.type === 'granted') void this.release(e.name, e.leaseId, e.fencingToken);
  }

  /** Settles an orphan from the state: granted (release it), gone (forget it), or still waiting. */
  private fromState(o: Orphan): void {
    const view = this.coordination.view;
    const holder = view.holder('lock', o.name);
    if (holder?.leaseId === o.leaseId && holder.waiterId === o.waiterId) {
      this.orphans.delete(keyOf(o));
      void this.release(o.name, o.leaseId, holder.fencingToken);
    } else if (!view.waiters('lock', o.name).some((w) => w.waiterId === o.waiterId)) {
      this.orphans.delete(keyOf(o));
    }
  }
}

function keyOf(o: Orphan): string {
  return `${o.leaseId}/${o.waiterId}/${o.name}`;
}
