/**
 * Small non-cryptographic hashes for the simulator: fingerprints of event
 * traces and of the replicated state machine. Collisions only weaken a check,
 * they never make a correct run fail, so 2 × 32 bits is plenty.
 */

const FNV_OFFSET_A = 0x811c9dc5;
const FNV_OFFSET_B = 0x01000193 ^ 0x5bd1e995;
const FNV_PRIME = 0x01000193;

/** A 64-bit running fingerprint kept as two independent 32-bit FNV-1a lanes. */
export class Fingerprint {
  private a: number;
  private b: number;

  constructor(a: number = FNV_OFFSET_A, b: number = FNV_OFFSET_B) {
    this.a = a >>> 0;
    this.b = b >>> 0;
  }

  /** Folds `text` into the fingerprint; the result depends on every earlier call and their order. */
  add(text: string): this {
    let a = this.a;
    let b = this.b;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      a = Math.imul(a ^ c, FNV_PRIME);
      b = Math.imul(b ^ c, 0x01000193 + 0x2a);
      b ^= b >>> 13;
    }
    // A separator, so that add('ab') + add('c') differs from add('a') + add('bc').
    this.a = Math.imul(a ^ 0xff, FNV_PRIME) >>> 0;
    this.b = Math.imul(b ^ 0xfe, 0x01000193 + 0x2a) >>> 0;
    return this;
  }

  /** A fresh fingerprint that continues from this one's current value. */
  clone(): Fingerprint {
    return new Fingerprint(this.a, this.b);
  }

  /** The fingerprint as 16 hex digits. */
  hex(): string {
    return this.a.toString(16).padStart(8, '0') + this.b.toString(16).padStart(8, '0');
  }
}

/** Hashes `text` to an unsigned 32-bit integer (FNV-1a followed by a final avalanche). */
export function hash32(text: string, seed = 0): number {
  let h = (FNV_OFFSET_A ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
