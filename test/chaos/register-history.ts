import type { Operation } from '../../packages/core/src/sim/linearizability.js';
import type { RegisterInput, RegisterOutput } from '../../packages/core/src/sim/register-model.js';

interface Pending {
  readonly key: string;
  readonly input: RegisterInput;
  readonly invokeAt: number;
  readonly who: string;
  outcome: 'pending' | 'failed' | { readonly at: number; readonly output: RegisterOutput };
}

/**
 * The register operations of a run, from the members' 'reg-…' events, timed
 * on the machine's monotonic clock (shared by every process, so an
 * operation that returned on one member before another was invoked on a
 * second is ordered correctly). An operation whose member died before it
 * returned, or that gave up in doubt, stays of unknown outcome.
 */
export class RegisterHistory {
  private readonly ops = new Map<string, Pending>();
  counts = { writes: 0, reads: 0, ok: 0, failed: 0, unknown: 0 };

  invoke(id: string, life: number, n: number, key: string, input: RegisterInput, at: number): void {
    this.ops.set(opKey(id, life, n), {
      key,
      input,
      invokeAt: at,
      who: `${id}/${life}#${n}`,
      outcome: 'pending',
    });
    if (input.op === 'write') this.counts.writes++;
    else this.counts.reads++;
  }

  ok(id: string, life: number, n: number, output: RegisterOutput, at: number): void {
    const op = this.ops.get(opKey(id, life, n));
    if (op === undefined || op.outcome !== 'pending') return;
    op.outcome = { at, output };
    this.counts.ok++;
  }

  /** `failed`: certainly no effect, the operation leaves the history; `unknown`: it stays, pending. */
  fail(id: string, life: number, n: number, outcome: 'failed' | 'unknown'): void {
    const op = this.ops.get(opKey(id, life, n));
    if (op === undefined || op.outcome !== 'pending') return;
    if (outcome === 'failed') op.outcome = 'failed';
    this.counts[outcome]++;
  }

  /** Every key operated on. */
  keys(): string[] {
    return [...new Set([...this.ops.values()].map((op) => op.key))].sort();
  }

  operations(): Operation<RegisterInput, RegisterOutput>[] {
    const out: Operation<RegisterInput, RegisterOutput>[] = [];
    for (const op of this.ops.values()) {
      if (op.outcome === 'failed') continue;
      const label = `${op.who} @${op.invokeAt.toFixed(1)}`;
      const base = { key: op.key, input: op.input, invokeAt: op.invokeAt, label };
      out.push(op.outcome === 'pending' ? base : { ...base, completed: op.outcome });
    }
    return out;
  }
}

function opKey(id: string, life: number, n: number): string {
  return `${id}|${life}|${n}`;
}
