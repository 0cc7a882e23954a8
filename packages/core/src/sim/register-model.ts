import type { Model, Operation } from './linearizability.js';

/** An operation on one register: write a value, or read the current one. */
export type RegisterInput = { readonly op: 'write'; readonly value: string } | { readonly op: 'read' };

/** What a read returned: the value, or null for a register never written. Writes return null. */
export type RegisterOutput = string | null;

/**
 * A read/write register per key (write v, then read → v), the model the
 * runtime simulator's key-value workload is checked against. Written values
 * must be unique; `simplify` then narrows writes of unknown outcome, which
 * would otherwise stay concurrent with everything after them and blow the
 * search up: one whose value no read returned is dropped (leaving it out is
 * always a valid choice, since nothing observed it), and one whose value a
 * read returned must have taken effect before that read returned, so it
 * becomes a write that returned then.
 */
export const registerModel: Model<RegisterOutput, RegisterInput, RegisterOutput> = {
  init: () => null,
  step(state, input, output) {
    if (input.op === 'write') return { state: input.value };
    return output === undefined || output === state ? { state } : undefined;
  },
  stateKey: (state) => (state === null ? '' : `=${state}`),
  simplify(ops) {
    /** For each value some read returned, the earliest return of such a read. */
    const firstSeenAt = new Map<string, number>();
    for (const op of ops) {
      const done = op.completed;
      if (op.input.op !== 'read' || typeof done?.output !== 'string') continue;
      const at = firstSeenAt.get(done.output);
      if (at === undefined || done.at < at) firstSeenAt.set(done.output, done.at);
    }
    const out: Operation<RegisterInput, RegisterOutput>[] = [];
    for (const op of ops) {
      if (op.completed) out.push(op);
      else if (op.input.op === 'write') {
        const seenAt = firstSeenAt.get(op.input.value);
        // A read seen before the write was invoked cannot be this write's doing: leave the verdict to the search.
        if (seenAt !== undefined)
          out.push({
            ...op,
            completed: { at: Math.max(seenAt, op.invokeAt), output: null },
            label: `${op.label ?? ''} (outcome unknown, read by ${seenAt})`.trim(),
          });
      }
    }
    return out;
  },
  describe(input, output) {
    if (input.op === 'write') return `write ${input.value}`;
    return `read → ${output === undefined ? '?' : output === null ? 'nothing' : output}`;
  },
};

/** A register operation, the shape the table tests and the workload build. */
export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;
