import type { Operation } from './linearizability.js';

interface Recorded<I, O> {
  readonly key: string;
  readonly input: I;
  readonly who: string;
  readonly invokeAt: number;
  readonly invokeUs: number;
  outcome: { kind: 'pending' } | { kind: 'failed' } | { kind: 'ok'; at: number; us: number; output: O };
}

/**
 * The invoke/complete events of a simulated workload, in the order they
 * happened, for the linearizability checker. Events are ordered by a counter
 * bumped at every record (strictly increasing, unlike the clock, which
 * several events may share); the simulated time is kept for reports.
 */
export class History<I, O> {
  private readonly ops: Recorded<I, O>[] = [];
  private counter = 0;

  /** `nowUs`: the simulation's global time, for reports only. */
  constructor(private readonly nowUs: () => number) {}

  /** A client invoked an operation; returns its handle. `who` names the client and member in reports. */
  invoke(key: string, input: I, who: string): number {
    this.ops.push({
      key,
      input,
      who,
      invokeAt: ++this.counter,
      invokeUs: this.nowUs(),
      outcome: { kind: 'pending' },
    });
    return this.ops.length - 1;
  }

  /** The operation returned `output`. */
  ok(handle: number, output: O): void {
    const op = this.pendingOp(handle);
    op.outcome = { kind: 'ok', at: ++this.counter, us: this.nowUs(), output };
  }

  /** The operation certainly had no effect (e.g. refused before anything was sent): it leaves the history. */
  failed(handle: number): void {
    this.pendingOp(handle).outcome = { kind: 'failed' };
  }

  /** Has the operation returned or failed (false while its outcome is unknown)? */
  settled(handle: number): boolean {
    return this.ops[handle]?.outcome.kind !== 'pending';
  }

  /** How many operations are still without an outcome. */
  get pendingCount(): number {
    return this.ops.filter((op) => op.outcome.kind === 'pending').length;
  }

  /** Every operation that returned, with its output. */
  completed(): { key: string; input: I; output: O }[] {
    return this.ops.flatMap((op) =>
      op.outcome.kind === 'ok' ? [{ key: op.key, input: op.input, output: op.outcome.output }] : [],
    );
  }

  /** The history to check: failed operations left out, pending ones of unknown outcome. */
  operations(): Operation<I, O>[] {
    return this.ops.flatMap((op): Operation<I, O>[] => {
      const o = op.outcome;
      if (o.kind === 'failed') return [];
      const span = `${ms(op.invokeUs)}–${o.kind === 'ok' ? ms(o.us) : '?'} ms`;
      const label = `${op.who} ${span}`;
      const base = { key: op.key, input: op.input, invokeAt: op.invokeAt, label };
      return [o.kind === 'ok' ? { ...base, completed: { at: o.at, output: o.output } } : base];
    });
  }

  private pendingOp(handle: number): Recorded<I, O> {
    const op = this.ops[handle];
    if (op?.outcome.kind !== 'pending') throw new Error(`operation ${handle} is not pending`);
    return op;
  }
}

function ms(us: number): string {
  return (us / 1000).toFixed(3);
}
