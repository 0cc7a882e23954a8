import type { CoordinationEffect, LockSpace } from '../state/coordination-commands.js';
import type { CoordinationMachine } from './coordination-machine.js';

/** How a wait for a queued request ended. */
export type WaitOutcome =
  | { readonly kind: 'granted'; readonly fencingToken: number }
  /** Withdrawn without a grant (its lease ended, or it was cancelled). */
  | { readonly kind: 'ended'; readonly reason: string };

/**
 * Watches the apply stream for what happens to the requests of one lease on
 * one lock or election. It subscribes before the acquire is proposed: the `queued`
 * answer and the grant that follows it may be applied in one batch, before
 * the caller resumes, so grants are buffered by waiter id until asked for.
 * After a snapshot install (whose entries' effects are never delivered) it
 * looks at the state instead.
 */
export class GrantWatch {
  private readonly outcomes = new Map<number, WaitOutcome>();
  private wanted: { waiterId: number; resolve(outcome: WaitOutcome): void } | undefined;
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly machine: CoordinationMachine,
    private readonly space: LockSpace,
    private readonly name: string,
    private readonly leaseId: number,
  ) {
    this.unsubscribe = [machine.onEffect((e) => this.onEffect(e)), machine.onRestore(() => this.fromState())];
  }

  /** Resolves when request `waiterId` is granted or withdrawn (never rejects; the caller races its deadline). */
  outcome(waiterId: number): Promise<WaitOutcome> {
    const known = this.outcomes.get(waiterId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      this.wanted = { waiterId, resolve };
      this.fromState();
    });
  }

  dispose(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.wanted = undefined;
  }

  private onEffect(e: CoordinationEffect): void {
    if (e.type === 'leaseEnded' && e.leaseId === this.leaseId) {
      this.settleAll({ kind: 'ended', reason: e.reason });
      return;
    }
    if ((e.type !== 'granted' && e.type !== 'waitEnded') || e.space !== this.space) return;
    if (e.name !== this.name || e.leaseId !== this.leaseId) return;
    const outcome: WaitOutcome =
      e.type === 'granted'
        ? { kind: 'granted', fencingToken: e.fencingToken }
        : { kind: 'ended', reason: e.reason };
    this.outcomes.set(e.waiterId, outcome);
    if (this.wanted?.waiterId === e.waiterId) this.settle(outcome);
  }

  /** Reads what the state says of the wanted request: held by it, still waiting, or gone. */
  private fromState(): void {
    const wanted = this.wanted;
    if (!wanted) return;
    const view = this.machine.state;
    const holder = view.holder(this.space, this.name);
    if (holder?.waiterId === wanted.waiterId && holder.leaseId === this.leaseId) {
      this.settle({ kind: 'granted', fencingToken: holder.fencingToken });
    } else if (!view.waiters(this.space, this.name).some((w) => w.waiterId === wanted.waiterId)) {
      this.settle({ kind: 'ended', reason: 'withdrawn' });
    }
  }

  private settleAll(outcome: WaitOutcome): void {
    if (this.wanted) this.settle(outcome);
  }

  private settle(outcome: WaitOutcome): void {
    const wanted = this.wanted;
    this.wanted = undefined;
    wanted?.resolve(outcome);
  }
}
