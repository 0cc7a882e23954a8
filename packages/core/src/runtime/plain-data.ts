/**
 * A result as every member will hold it: the session table answers retries
 * with it and carries it in snapshots as JSON, so the first caller gets the
 * JSON round trip too (undefined becomes null). A result JSON cannot encode
 * (a bigint, a cycle) is a bug of the state machine; it becomes null rather
 * than making every member fail its next snapshot.
 *
 * Results made only of strings, finite numbers, booleans, null, and plain
 * objects and arrays of them (every result the coordination state machine
 * gives) are copied directly: the same value as the round trip, for a
 * fraction of its cost on the apply path. Anything else takes the round trip.
 */
export function plainData(result: unknown): unknown {
  let copy: unknown;
  try {
    copy = copyPlain(result);
  } catch {
    copy = NOT_PLAIN; // a getter that throws, a cycle: JSON's to judge
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

/**
 * JSON.parse(JSON.stringify(value)) for plain values (undefined stays
 * undefined for the caller to place), else NOT_PLAIN. A cycle overflows the
 * stack, which plainData catches: results are never cyclic unless broken.
 */
function copyPlain(value: unknown): unknown {
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
      return Array.isArray(value) ? copyArray(value) : copyObject(value);
    default:
      return NOT_PLAIN; // functions, symbols, bigints
  }
}

function copyArray(value: readonly unknown[]): unknown {
  const copy: unknown[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const item = copyPlain(value[i]);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    copy[i] = item === undefined ? null : item; // JSON writes undefined (and holes) in arrays as null
  }
  return copy;
}

function copyObject(value: object): unknown {
  const proto = Object.getPrototypeOf(value);
  // Dates, boxed primitives, class instances, and a toJSON even where keys do not list it, are JSON's to judge.
  if ((proto !== Object.prototype && proto !== null) || 'toJSON' in value) return NOT_PLAIN;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return NOT_PLAIN; // an assignment would set the prototype
    const item = copyPlain((value as Record<string, unknown>)[key]);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    if (item !== undefined) copy[key] = item; // JSON leaves undefined properties out
  }
  return copy;
}
