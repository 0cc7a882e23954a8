import type { ValidityKind } from './chaos-protocol.js';

/** A stretch of monotonic time during which one holder saw its `valid` true. */
export interface Interval {
  readonly kind: ValidityKind;
  /** The lock or election name ('raft' and 'job' for the Raft leadership and the runOnLeader job). */
  readonly key: string;
  readonly id: string;
  readonly life: number;
  /** The fencing token: the term for 'raft' and 'job', the grant's index for locks and elections. */
  readonly token: number;
  readonly from: number;
  to: number;
}

/**
 * Rebuilds validity intervals from the members' 'valid', 'seen' and 'end'
 * events as they arrive. An interval still open when its member exits (a
 * SIGKILL while valid) ends at its last report, at most one report period
 * (15 ms) before the truth.
 */
export class ValidityLog {
  private readonly open = new Map<string, Interval>();
  private readonly closed: Interval[] = [];

  onValid(id: string, life: number, kind: ValidityKind, key: string, token: number, at: number): void {
    const k = openKey(id, life, kind, key, token);
    const previous = this.open.get(k);
    if (previous !== undefined) this.closed.push(previous);
    this.open.set(k, { kind, key, id, life, token, from: at, to: at });
  }

  onSeen(id: string, life: number, kind: ValidityKind, key: string, token: number, at: number): void {
    const run = this.open.get(openKey(id, life, kind, key, token));
    if (run !== undefined) run.to = Math.max(run.to, at);
  }

  onEnd(id: string, life: number, kind: ValidityKind, key: string, token: number, lastTrueAt: number): void {
    const k = openKey(id, life, kind, key, token);
    const run = this.open.get(k);
    if (run === undefined) return;
    run.to = Math.max(run.to, lastTrueAt);
    this.closed.push(run);
    this.open.delete(k);
  }

  /** The member's life ended: its open intervals end at their last report. */
  onExit(id: string, life: number): void {
    for (const [k, run] of this.open) {
      if (run.id !== id || run.life !== life) continue;
      this.closed.push(run);
      this.open.delete(k);
    }
  }

  /** Every interval, closed or still open, sorted by start. */
  intervals(): Interval[] {
    return [...this.closed, ...this.open.values()].sort((a, b) => a.from - b.from);
  }
}

function openKey(id: string, life: number, kind: ValidityKind, key: string, token: number): string {
  return `${kind}|${key}|${id}|${life}|${token}`;
}
