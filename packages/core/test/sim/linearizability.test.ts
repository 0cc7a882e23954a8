import { describe, expect, it } from 'vitest';
import { checkLinearizable, type Operation } from '../../src/sim/linearizability.js';
import { type RegisterInput, type RegisterOperation, registerModel } from '../../src/sim/register-model.js';
import { formatSeed, Rng } from '../../src/sim/rng.js';

/** A write that returned: `w('a', 0, 1)` wrote 'a' between times 0 and 1. */
const w = (value: string, invokeAt: number, at: number, key = 'k'): RegisterOperation => ({
  key,
  input: { op: 'write', value },
  invokeAt,
  completed: { at, output: null },
});
/** A write of unknown outcome (timed out, its caller crashed). */
const wUnknown = (value: string, invokeAt: number, key = 'k'): RegisterOperation => ({
  key,
  input: { op: 'write', value },
  invokeAt,
});
/** A read that returned `value` (null: nothing written). */
const r = (value: string | null, invokeAt: number, at: number, key = 'k'): RegisterOperation => ({
  key,
  input: { op: 'read' },
  invokeAt,
  completed: { at, output: value },
});

const check = (ops: RegisterOperation[]) => checkLinearizable(ops, registerModel);

describe('checkLinearizable with the register model', () => {
  const linearizable: [string, RegisterOperation[]][] = [
    ['empty history', []],
    ['a read of a register never written', [r(null, 0, 1)]],
    ['write then read', [w('a', 0, 1), r('a', 2, 3)]],
    ['a read overlapping a write may see the old value', [w('a', 0, 10), r(null, 1, 2)]],
    ['a read overlapping a write may see the new value', [w('a', 0, 10), r('a', 1, 2)]],
    [
      'reads during a write see old, then new, never back',
      [w('a', 0, 10), r(null, 1, 2), r('a', 3, 4), r('a', 5, 6)],
    ],
    ['two overlapping writes may land in either order (a last)', [w('a', 0, 5), w('b', 1, 4), r('a', 6, 7)]],
    ['two overlapping writes may land in either order (b last)', [w('a', 0, 5), w('b', 1, 4), r('b', 6, 7)]],
    ['a call at the same time as a return counts as concurrent', [w('a', 0, 5), r(null, 5, 6)]],
    ['a write of unknown outcome nobody saw may never have happened', [wUnknown('a', 0), r(null, 5, 6)]],
    [
      'a write of unknown outcome may take effect late',
      [wUnknown('a', 0), w('b', 1, 2), r('b', 3, 4), r('a', 5, 6)],
    ],
    ['keys are independent', [w('a', 0, 1, 'x'), w('b', 0, 1, 'y'), r('a', 2, 3, 'x'), r('b', 2, 3, 'y')]],
  ];
  for (const [name, ops] of linearizable) {
    it(`linearizable: ${name}`, () => {
      expect(check(ops)).toMatchObject({ ok: true });
    });
  }

  const violations: [string, RegisterOperation[]][] = [
    [
      'stale read: a read after a newer write returned sees the older value',
      [w('a', 0, 1), w('b', 2, 3), r('a', 4, 5)],
    ],
    ['lost write: a read after an acknowledged write sees nothing', [w('a', 0, 1), r(null, 2, 3)]],
    ['a read of a value never written', [w('a', 0, 1), r('z', 2, 3)]],
    ['a write visible, then gone', [w('a', 0, 1), w('b', 2, 3), r('b', 4, 5), r('a', 6, 7)]],
    ['a concurrent write seen, then unseen', [w('a', 0, 10), r('a', 1, 2), r(null, 3, 4)]],
    ['a write of unknown outcome seen, then unseen', [wUnknown('a', 0), r('a', 1, 2), r(null, 3, 4)]],
    ['a value read from another key', [w('a', 0, 1, 'x'), r('a', 2, 3, 'y')]],
    ['a read before the write it sees was invoked', [r('a', 0, 1), w('a', 2, 3)]],
  ];
  for (const [name, ops] of violations) {
    it(`not linearizable: ${name}`, () => {
      const result = check(ops);
      expect(result).toMatchObject({ ok: false, kind: 'violation' });
    });
  }

  it('a violation report names the key and marks the operation that could not be placed', () => {
    const result = check([w('a', 0, 1), w('b', 2, 3), r('a', 4, 5)]);
    if (result.ok) throw new Error('expected a violation');
    expect(result.key).toBe('k');
    expect(result.report).toContain('! #2 read → a [4, 5]');
  });

  it('gives up with kind bounds when a key has too many operations', () => {
    const ops = Array.from({ length: 11 }, (_, i) => w(`v${i}`, 2 * i, 2 * i + 1));
    expect(checkLinearizable(ops, registerModel, { opsPerKeyMax: 10 })).toMatchObject({
      ok: false,
      kind: 'bounds',
    });
  });

  it('gives up with kind bounds when the search runs over its step budget', () => {
    const ops = Array.from({ length: 30 }, (_, i) => w(`v${i}`, 0, 100));
    ops.push(r('nope', 101, 102));
    expect(checkLinearizable(ops, registerModel, { stepsPerKeyMax: 1000 })).toMatchObject({
      ok: false,
      kind: 'bounds',
    });
  });

  it('settles a wide, fully concurrent history within bounds thanks to the memo', () => {
    // 10 concurrent writes and a read of the first: 10! orders, but only 10 × 2^9 (set, last value) pairs.
    const ops = Array.from({ length: 10 }, (_, i) => w(`v${i}`, 0, 100));
    ops.push(r('v0', 101, 102));
    const result = check(ops);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.steps).toBeLessThan(100_000);
  });

  it('writes of unknown outcome that were read do not stay concurrent with everything after them', () => {
    // 40 timed-out writes, each read back later: without narrowing them this would be 2^40 subsets.
    const ops: RegisterOperation[] = [];
    for (let i = 0; i < 40; i++) ops.push(wUnknown(`v${i}`, 10 * i), r(`v${i}`, 10 * i + 5, 10 * i + 6));
    const result = check(ops);
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.steps).toBeLessThan(1000);
  });

  it('agrees with a brute-force search on random small histories', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const ops = randomHistory(Rng.fromSeed(seed));
      expect(check(ops).ok, `seed=${formatSeed(seed)}`).toBe(bruteForce(ops));
    }
  });

  it('random histories produced by a real register are linearizable, and a stale read is caught', () => {
    let caught = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rng = Rng.fromSeed(seed);
      const ops = registerRun(rng, 60);
      expect(check(ops).ok, `seed=${formatSeed(seed)}`).toBe(true);
      // Make one read return a value overwritten before it was invoked: write a returned before
      // write b was invoked, and b returned before the read was invoked.
      const writes = ops.filter((x) => x.input.op === 'write');
      const i = ops.findIndex(
        (op) =>
          op.input.op === 'read' &&
          writes.some((a) =>
            writes.some((b) => a.completed!.at < b.invokeAt && b.completed!.at < op.invokeAt),
          ),
      );
      if (i < 0) continue;
      const read = ops[i]!;
      const a = writes.find((a) =>
        writes.some((b) => a.completed!.at < b.invokeAt && b.completed!.at < read.invokeAt),
      )!;
      const stale = (a.input as { value: string }).value;
      ops[i] = { ...read, completed: { at: read.completed!.at, output: stale } };
      expect(check(ops).ok, `seed=${formatSeed(seed)} stale read`).toBe(false);
      caught++;
    }
    expect(caught).toBeGreaterThan(150);
  });
});

/**
 * A sequential run of a real register by overlapping clients: each operation
 * takes effect at one instant inside its [invoke, return] interval.
 */
function registerRun(rng: Rng, count: number): RegisterOperation[] {
  const points = Array.from({ length: count }, (_, i) => ({ i, at: rng.real(0, 1000) })).sort(
    (a, b) => a.at - b.at,
  );
  let value: string | null = null;
  return points.map(({ i, at }) => {
    const invokeAt = at - rng.real(0, 30);
    const returnAt = at + rng.real(0, 30);
    if (rng.chance(0.5)) {
      value = `v${i}`;
      return w(value, invokeAt, returnAt);
    }
    return r(value, invokeAt, returnAt);
  });
}

/** A small random history, often not linearizable: values read are drawn, not computed. */
function randomHistory(rng: Rng): RegisterOperation[] {
  const count = rng.int(1, 6);
  const values = ['a', 'b', 'c'];
  return Array.from({ length: count }, (_, i): RegisterOperation => {
    const invokeAt = rng.int(0, 10);
    const at = invokeAt + rng.int(0, 4);
    const input: RegisterInput = rng.chance(0.5)
      ? { op: 'write', value: `${values[i % 3]}${i}` }
      : { op: 'read' };
    if (input.op === 'write' && rng.chance(0.25)) return { key: 'k', input, invokeAt };
    const output =
      input.op === 'read' ? (rng.chance(0.3) ? null : `${rng.pick(values)}${rng.int(0, count - 1)}`) : null;
    return { key: 'k', input, invokeAt, completed: { at, output } };
  });
}

/** Tries every order of every subset of unknown writes: the definition, for tiny histories. */
function bruteForce(ops: readonly Operation<RegisterInput, string | null>[]): boolean {
  const unknown = ops.map((_, i) => i).filter((i) => !ops[i]!.completed);
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    const chosen = ops.map((_, i) => i).filter((i) => ops[i]!.completed || (mask >> unknown.indexOf(i)) & 1);
    if (permutations(chosen).some((order) => valid(ops, order))) return true;
  }
  return false;
}

function valid(ops: readonly Operation<RegisterInput, string | null>[], order: readonly number[]): boolean {
  let value: string | null = null;
  for (let k = 0; k < order.length; k++) {
    const op = ops[order[k]!]!;
    // Real-time order: nothing placed later may have returned before this one was invoked.
    for (const later of order.slice(k + 1)) {
      const done = ops[later]!.completed;
      if (done && done.at < op.invokeAt) return false;
    }
    if (op.input.op === 'write') value = op.input.value;
    else if (op.completed!.output !== value) return false;
  }
  return true;
}

function permutations(items: readonly number[]): number[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((x, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [x, ...p]),
  );
}
