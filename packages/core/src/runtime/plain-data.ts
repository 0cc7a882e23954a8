/**
 * A result as every member will hold it: the session table answers retries
 * with it and carries it in snapshots as JSON, so the first caller gets the
 * JSON round trip too (undefined becomes null). A result JSON cannot encode
 * (a bigint, a cycle) is a bug of the state machine; it becomes null rather
 * than making every member fail its next snapshot.
 *
 * Results made only of strings, finite numbers, booleans, null, and plain
 * objects and arrays of them, nested at most COPY_DEPTH_MAX deep (every
 * result the coordination state machine gives), are copied directly: the
 * same value as the round trip, for a fraction of its cost on the apply
 * path. Anything else takes the round trip, as every result did before.
 * The limit keeps the choice deterministic: a copy that recursed until the
 * stack ran out would depend on how much stack this member had left, and
 * members must all hold the same result.
 */
export function plainData(result: unknown): unknown {
  let copy: unknown;
  try {
    copy = copyPlain(result, 0);
  } catch {
    copy = NOT_PLAIN; // a getter that throws: JSON's to judge (it runs once more there)
  }
  if (copy !== NOT_PLAIN) return copy === undefined ? null : copy;
  try {
    const text = JSON.stringify(result);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

const NOT_PLAIN: unique symbol = Symbol('not plain');
/** Objects and arrays nested deeper than this (or in a cycle) take the round trip. */
const COPY_DEPTH_MAX = 32;

/** JSON.parse(JSON.stringify(value)) for plain values (undefined stays undefined for the caller to place), else NOT_PLAIN. */
function copyPlain(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return value;
    case 'number':
      // JSON writes -0 as 0; NaN and the infinities (null) take the round trip.
      return Number.isFinite(value) ? value + 0 : NOT_PLAIN;
    case 'object':
      if (value === null) return null;
      if (depth >= COPY_DEPTH_MAX) return NOT_PLAIN;
      return Array.isArray(value) ? copyArray(value, depth + 1) : copyObject(value, depth + 1);
    default:
      return NOT_PLAIN; // functions, symbols, bigints
  }
}

function copyArray(value: readonly unknown[], depth: number): unknown {
  if ('toJSON' in value) return NOT_PLAIN; // its own, or an Array subclass's: JSON's to judge
  const copy: unknown[] = []; // pushed, not preallocated: packed like JSON.parse's arrays
  for (let i = 0; i < value.length; i++) {
    const item = copyPlain(value[i], depth);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    copy.push(item === undefined ? null : item); // JSON writes undefined (and holes) in arrays as null
  }
  return copy;
}

function copyObject(value: object, depth: number): unknown {
  const proto = Object.getPrototypeOf(value);
  // Dates, boxed primitives, class instances, and a toJSON even where keys do not list it, are JSON's to judge.
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return NOT_PLAIN; // an assignment would set the prototype
    const item = copyPlain((value as Record<string, unknown>)[key], depth);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    if (item !== undefined) copy[key] = item; // JSON leaves undefined properties out
  }
  return copy;
}
