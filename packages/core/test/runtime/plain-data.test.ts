import { describe, expect, it } from 'vitest';
import { plainData } from '../../src/runtime/plain-data.js';

/** What the session table and a snapshot hold: the JSON round trip (null where JSON writes nothing or fails). */
function roundTrip(value: unknown): unknown {
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  get sum(): number {
    return this.x + this.y;
  }
}

class List<T> extends Array<T> {
  toJSON(): string {
    return 'a list';
  }
}

function nested(depth: number): unknown {
  let value: unknown = [1];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;
let deep: unknown = 'bottom';
for (let i = 0; i < 40; i++) deep = { next: deep, list: [i] };
const holes: unknown[] = [1];
holes[2] = 3; // a hole at 1: JSON writes it as null

const values: [string, unknown][] = [
  ['a granted result', { type: 'granted', fencingToken: 42 }],
  ['a queued result', { type: 'queued', waiterId: 7 }],
  ['an error result', { type: 'error', code: 'NOT_HELD', detail: { name: 'x', held: [1, 2] } }],
  ['undefined', undefined],
  ['null', null],
  ['a string', 'é😀'],
  ['true', true],
  ['zero', 0],
  ['minus zero', -0],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['a bigint', 10n],
  ['a symbol', Symbol('s')],
  ['a function', () => 1],
  ['undefined properties', { a: undefined, b: 1, c: { d: undefined } }],
  ['function and symbol properties', { f: () => 1, s: Symbol('s'), k: 1 }],
  ['undefined and holes in arrays', [undefined, holes, [undefined], -0]],
  ['functions and NaN in arrays', [() => 1, Number.NaN]],
  ['an array with toJSON', { list: Object.assign([1, 2], { toJSON: () => 'list' }) }],
  ['an Array subclass', List.of(1, 2)],
  ['symbol keys', { [Symbol('s')]: 1, a: 2 }],
  ['arrays nested 300 deep', nested(300)],
  ['integer-like keys', { b: 1, 10: 'ten', 2: 'two', a: [{ z: 1, y: 2 }] }],
  ['a Date', { at: new Date(0) }],
  ['a Map', new Map([[1, 2]])],
  ['boxed primitives', [new Number(5), new String('ab'), new Boolean(false)]],
  ['a toJSON the keys do not list', Object.defineProperty({ a: 1 }, 'toJSON', { value: () => 'replaced' })],
  ['a class instance', new Point(1, 2)],
  ['an object with toJSON', { toJSON: () => ({ replaced: true }) }],
  ['a __proto__ key', JSON.parse('{"__proto__": {"polluted": true}, "a": 1}')],
  ['a null-prototype object', Object.assign(Object.create(null), { a: 1 })],
  ['a cycle', cyclic],
  ['deep nesting', deep],
  [
    'a getter that throws',
    Object.defineProperty({}, 'boom', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    }),
  ],
  ['an array with extra properties', Object.assign([1, 2], { extra: 3 })],
];

describe('plainData', () => {
  it.each(values)('gives what the JSON round trip gives: %s', (_, value) => {
    const copy = plainData(value);
    expect(copy).toStrictEqual(roundTrip(value));
    expect(JSON.stringify(copy)).toBe(JSON.stringify(roundTrip(value)));
  });

  it('a deeply nested result is what JSON makes of it, and can be written as JSON again, as a snapshot does', () => {
    // Too deep for the test's own deep equality: compared as JSON text.
    for (const depth of [3000, 50_000]) {
      const value = nested(depth);
      const text = JSON.stringify(plainData(value));
      expect(text).toBe(JSON.stringify(roundTrip(value)));
    }
    expect(plainData(nested(50_000))).toBeNull(); // JSON gives up on it
  });

  it('turns minus zero into zero, as JSON does, at any depth', () => {
    expect(Object.is(plainData(-0), 0)).toBe(true);
    expect(Object.is((plainData({ a: [-0] }) as { a: number[] }).a[0], 0)).toBe(true);
  });

  it('returns a copy: changing the result changes nothing the caller passed in', () => {
    const result = { type: 'granted', nested: { token: 1 }, list: [1] };
    const copy = plainData(result) as typeof result;
    copy.nested.token = 2;
    copy.list.push(2);
    expect(result).toStrictEqual({ type: 'granted', nested: { token: 1 }, list: [1] });
  });

  it('never lets a __proto__ key set the prototype of the copy', () => {
    const copy = plainData(JSON.parse('{"__proto__": {"polluted": true}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
