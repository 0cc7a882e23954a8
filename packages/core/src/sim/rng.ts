import { hash32 } from './hash.js';

const TWO_POW_32 = 0x1_0000_0000;

/** Mixes a 32-bit word (the finaliser of splitmix32). */
function mix32(x: number): number {
  let z = x >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A seeded pseudo-random generator (sfc32, seeded through splitmix32). Every
 * random choice of a simulation comes from one of these, so a seed replays a
 * run exactly.
 *
 * Streams are split with `fork(label)`: the child depends only on the parent's
 * seed and the label, never on how many numbers the parent has drawn, so
 * adding a draw to one stream (a new kind of fault, say) does not shift the
 * choices of any other stream.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly key0: number;
  private readonly key1: number;

  private constructor(key0: number, key1: number) {
    this.key0 = key0 >>> 0;
    this.key1 = key1 >>> 0;
    let s = this.key0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next() ^ this.key1;
    this.c = next() ^ mix32(this.key1 + 0x632be5ab);
    this.d = 1;
    // Discard the first outputs: sfc32 needs a few rounds to spread a weak seed.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A generator for `seed`, a non-negative safe integer (the simulator prints it as 0x…). */
  static fromSeed(seed: number): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0)
      throw new RangeError(`seed must be a safe integer >= 0: ${seed}`);
    return new Rng(seed % TWO_POW_32, Math.floor(seed / TWO_POW_32));
  }

  /** An independent stream named `label`; the same parent and label always give the same stream. */
  fork(label: string): Rng {
    return new Rng(
      hash32(`${label}#0`, this.key0 ^ mix32(this.key1)),
      hash32(`${label}#1`, this.key1 ^ mix32(this.key0)),
    );
  }

  /** The next uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [lo, hi). */
  real(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  /** A uniformly chosen integer in [lo, hi], both ends included. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`int(${lo}, ${hi}) needs integers lo <= hi`);
    }
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  /** True with probability `p`. Always draws one number, so the stream does not depend on `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() needs a non-empty array');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** A shuffled copy of `items` (Fisher–Yates); the input is left untouched. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.float() * (i + 1));
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }
}

/** Formats a seed the way the simulator prints it and accepts it back: `0x1f`. */
export function formatSeed(seed: number): string {
  return `0x${seed.toString(16)}`;
}

/** Parses a seed written in decimal or as 0x… hex; throws RangeError on anything else. */
export function parseSeed(text: string): number {
  const trimmed = text.trim();
  const value = /^0x[0-9a-f]+$/i.test(trimmed)
    ? Number.parseInt(trimmed.slice(2), 16)
    : /^[0-9]+$/.test(trimmed)
      ? Number.parseInt(trimmed, 10)
      : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a seed: ${text}`);
  return value;
}
