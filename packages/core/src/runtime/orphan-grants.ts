import type { CoordinationEffect, LockSpace } from '../state/coordination-commands.js';
import type { CoordinationMachine } from './coordination-machine.js';

interface Orphan {
  readonly space: LockSpace;
  readonly name: string;
  readonly leaseId: number;
  readonly waiterId: number;
}

/**
 * Requests this member gave up on whose fate is not settled yet (a
 * cancel that could not be confirmed, an acquire answered late). If one of
 * them is granted after all, the grant is released at once: a lock is never
 * left held by nobody until the lease ends. A request leaves the set when it
 * is withdrawn, granted (and released), or its lease ends.
 */
export class OrphanGrants {
  private readonly orphans = new Map<string, Orphan>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly machine: CoordinationMachine,
    private readonly release: (
      space: LockSpace,
      name: string,
      leaseId: number,
      fencingToken: number,
    ) => Promise<void>,
  ) {
    this.unsubscribe = [
      machine.onEffect((e) => this.onEffect(e)),
      machine.onRestore(() => {
        for (const o of [...this.orphans.values()]) this.fromState(o);
      }),
    ];
  }

  /** Watches request `waiterId` of lease `leaseId` on `name` until its fate is settled. */
  watch(space: LockSpace, name: string, leaseId: number, waiterId: number): void {
    const orphan = { space, name, leaseId, waiterId };
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
    if (e.type !== 'granted' && e.type !== 'waitEnded') return;
    const key = keyOf({ space: e.space, name: e.name, leaseId: e.leaseId, waiterId: e.waiterId });
    if (!this.orphans.delete(key)) return;
    if (e.type === 'granted') void this.release(e.space, e.name, e.leaseId, e.fencingToken);
  }

  /** Settles an orphan from the state: granted (release it), gone (forget it), or still waiting. */
  private fromState(o: Orphan): void {
    const view = this.machine.state;
    const holder = view.holder(o.space, o.name);
    if (holder?.leaseId === o.leaseId && holder.waiterId === o.waiterId) {
      this.orphans.delete(keyOf(o));
      void this.release(o.space, o.name, o.leaseId, holder.fencingToken);
    } else if (!view.waiters(o.space, o.name).some((w) => w.waiterId === o.waiterId)) {
      this.orphans.delete(keyOf(o));
    }
  }
}

function keyOf(o: Orphan): string {
  return `${o.leaseId}/${o.waiterId}/${o.space}/${o.name}`;
}
