/**
 * One operation of a recorded history. Times are only compared with each
 * other (any monotonic counter will do); an operation invoked at or before
 * another one's return counts as concurrent with it.
 */
export interface Operation<I, O> {
  /** The object it acts on: objects are checked one by one (P-compositionality). */
  readonly key: string;
  readonly input: I;
  readonly invokeAt: number;
  /**
   * When it returned, and what. Absent when its outcome is unknown (it timed
   * out, its caller crashed): it may have taken effect at any instant after
   * `invokeAt`, or never. An operation that certainly had no effect belongs
   * in no history.
   */
  readonly completed?: { readonly at: number; readonly output: O } | undefined;
  /** How a report names it (who ran it, where, when). */
  readonly label?: string;
}

/** A sequential specification of one object. */
export interface Model<S, I, O> {
  /** The state before any operation. */
  init(): S;
  /**
   * The state after `input` ran in `state` and returned `output` (undefined
   * for an operation of unknown outcome: any output goes), or undefined when
   * `output` is impossible from `state`.
   */
  step(state: S, input: I, output: O | undefined): { readonly state: S } | undefined;
  /** The same string for equal states: the memo of visited (operations, state) pairs uses it. */
  stateKey(state: S): string;
  /**
   * Optional: drops operations that cannot change the verdict (e.g. a write
   * of unknown outcome nobody read), which keeps the search small.
   */
  simplify?(ops: readonly Operation<I, O>[]): Operation<I, O>[];
  /** How a report shows an operation. */
  describe(input: I, output: O | undefined): string;
}

/** Bounds of one check (defaults: 2,000 operations and 2,000,000 search steps per key). */
export interface LinearizabilityOptions {
  /** Most operations of one key; over it the check fails with 'bounds' (raise it, or spread the load over keys). */
  readonly opsPerKeyMax?: number;
  /** Most search steps for one key; over it the check fails with 'bounds' instead of running on. */
  readonly stepsPerKeyMax?: number;
}

/** The verdict: linearizable (with the work it took), or the first key that is not or could not be settled. */
export type LinearizabilityResult =
  | { readonly ok: true; readonly keys: number; readonly ops: number; readonly steps: number }
  | {
      readonly ok: false;
      /** 'violation': no order fits; 'bounds': the check gave up (too many operations or steps). */
      readonly kind: 'violation' | 'bounds';
      readonly key: string;
      /** What went wrong, with the key's operations in invocation order. */
      readonly report: string;
    };

const OPS_PER_KEY_MAX = 2000;
const STEPS_PER_KEY_MAX = 2_000_000;

/**
 * Is `history` linearizable with respect to `model`? The search is
 * Wing & Gong's, with Lowe's memo of (linearized set, model state) pairs
 * (Lowe, "Testing for linearizability", 2017) and with each key checked on
 * its own (Horn & Kroening, P-compositionality). Operations of unknown
 * outcome may be linearized anywhere after their invocation or left out.
 * Bounded: a key with too many operations or a search over its step budget
 * ends the check with kind 'bounds' instead of hanging.
 */
export function checkLinearizable<S, I, O>(
  history: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  options: LinearizabilityOptions = {},
): LinearizabilityResult {
  const byKey = new Map<string, Operation<I, O>[]>();
  for (const op of history) {
    const list = byKey.get(op.key);
    if (list) list.push(op);
    else byKey.set(op.key, [op]);
  }
  let steps = 0;
  let ops = 0;
  for (const [key, all] of [...byKey].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const keyOps = model.simplify ? model.simplify(all) : all;
    ops += keyOps.length;
    const opsMax = options.opsPerKeyMax ?? OPS_PER_KEY_MAX;
    if (keyOps.length > opsMax) {
      return {
        ok: false,
        kind: 'bounds',
        key,
        report: `key ${key}: ${keyOps.length} operations, over ${opsMax}`,
      };
    }
    const result = searchKey(keyOps, model, options.stepsPerKeyMax ?? STEPS_PER_KEY_MAX);
    steps += result.steps;
    if (result.kind === 'ok') continue;
    const report =
      result.kind === 'bounds'
        ? `key ${key}: no verdict within ${result.steps} search steps (${keyOps.length} operations)`
        : violationReport(key, keyOps, model, result.longest);
    return { ok: false, kind: result.kind, key, report };
  }
  return { ok: true, keys: byKey.size, ops, steps };
}

/** A call or return in the time-ordered list the search walks and lifts operations out of. */
interface Entry {
  readonly op: number;
  readonly isCall: boolean;
  /** The call's return entry (absent for an operation of unknown outcome). */
  match: Entry | undefined;
  prev: Entry | undefined;
  next: Entry | undefined;
}

type SearchResult =
  | { kind: 'ok'; steps: number }
  | { kind: 'bounds'; steps: number }
  | { kind: 'violation'; steps: number; longest: readonly number[] };

/** Wing & Gong's search over one key's operations, memoized. */
function searchKey<S, I, O>(
  ops: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  stepsMax: number,
): SearchResult {
  const head = buildList(ops);
  const mustLinearize = ops.filter((op) => op.completed).length;
  const seen = new Set<string>();
  const stack: { entry: Entry; state: S; linearized: bigint }[] = [];
  let longest: number[] = [];
  let state = model.init();
  let linearized = 0n;
  let done = 0;
  let entry = head.next;
  let steps = 0;
  for (;;) {
    if (done === mustLinearize) return { kind: 'ok', steps };
    if (++steps > stepsMax) return { kind: 'bounds', steps };
    if (entry?.isCall) {
      const op = ops[entry.op]!;
      const next = model.step(state, op.input, op.completed?.output);
      if (next) {
        const bits = linearized | (1n << BigInt(entry.op));
        const memo = `${bits.toString(36)}|${model.stateKey(next.state)}`;
        if (!seen.has(memo)) {
          seen.add(memo);
          stack.push({ entry, state, linearized });
          if (stack.length > longest.length) longest = stack.map((s) => s.entry.op);
          state = next.state;
          linearized = bits;
          if (op.completed) done++;
          lift(entry);
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
      continue;
    }
    // A return (its operation must come first, and none fits now) or the end of the list: back up.
    const top = stack.pop();
    if (!top) return { kind: 'violation', steps, longest };
    state = top.state;
    linearized = top.linearized;
    if (ops[top.entry.op]!.completed) done--;
    unlift(top.entry);
    entry = top.entry.next;
  }
}

/** A doubly linked list of calls and returns in time order (a call first when times tie); returns the sentinel head. */
function buildList<I, O>(ops: readonly Operation<I, O>[]): Entry {
  const events: { at: number; entry: Entry }[] = [];
  ops.forEach((op, i) => {
    const call: Entry = { op: i, isCall: true, match: undefined, prev: undefined, next: undefined };
    events.push({ at: op.invokeAt, entry: call });
    if (op.completed) {
      if (op.completed.at < op.invokeAt)
        throw new RangeError(`operation ${i} returned before it was invoked`);
      call.match = { op: i, isCall: false, match: undefined, prev: undefined, next: undefined };
      events.push({ at: op.completed.at, entry: call.match });
    }
  });
  events.sort(
    (a, b) => a.at - b.at || Number(b.entry.isCall) - Number(a.entry.isCall) || a.entry.op - b.entry.op,
  );
  const head: Entry = { op: -1, isCall: false, match: undefined, prev: undefined, next: undefined };
  let last = head;
  for (const { entry } of events) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function lift(call: Entry): void {
  unlink(call);
  if (call.match) unlink(call.match);
}

/** Undoes lift(); calls must be unlifted in the reverse order of lifting. */
function unlift(call: Entry): void {
  if (call.match) relink(call.match);
  relink(call);
}

function unlink(e: Entry): void {
  e.prev!.next = e.next;
  if (e.next) e.next.prev = e.prev;
}

function relink(e: Entry): void {
  e.prev!.next = e;
  if (e.next) e.next.prev = e;
}

/** Most operations a violation report lists: those invoked around the first that could not be placed. */
const REPORT_OPS_MAX = 40;

function violationReport<S, I, O>(
  key: string,
  ops: readonly Operation<I, O>[],
  model: Model<S, I, O>,
  longest: readonly number[],
): string {
  const show = (i: number) => {
    const op = ops[i]!;
    const when = `[${op.invokeAt}, ${op.completed ? op.completed.at : '?'}]`;
    const mark = placed.has(i) ? ' ' : op.completed ? '!' : '?';
    return `${mark} #${i} ${model.describe(op.input, op.completed?.output)} ${when}${op.label ? ` ${op.label}` : ''}`;
  };
  const placed = new Set(longest);
  const byInvoke = ops.map((_, i) => i).sort((a, b) => ops[a]!.invokeAt - ops[b]!.invokeAt || a - b);
  const firstStuck = Math.max(
    0,
    byInvoke.findIndex((i) => !placed.has(i) && ops[i]!.completed),
  );
  const from = Math.max(0, firstStuck - REPORT_OPS_MAX / 2);
  const shown = byInvoke.slice(from, from + REPORT_OPS_MAX);
  return [
    `key ${key}: not linearizable (${ops.length} operations; the longest linearizable prefix placed ${longest.length})`,
    `operations by invocation (' ' placed, '!' returned but not placeable, '?' outcome unknown), [invoke, return]:`,
    ...(from > 0 ? [`  … ${from} earlier`] : []),
    ...shown.map((i) => `  ${show(i)}`),
    ...(from + shown.length < ops.length ? [`  … ${ops.length - from - shown.length} later`] : []),
  ].join('\n');
}
