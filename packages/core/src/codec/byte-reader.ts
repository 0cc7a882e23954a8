import { BatonError } from '../errors.js';
import { utf8StrictDecoder } from './utf8.js';

const TWO_POW_32 = 0x1_0000_0000;
/** The high 32-bit word of a safe integer is at most 2^21 - 1. */
const UINT53_HIGH_MAX = 0x1f_ffff;
/** A varUint of a safe integer takes at most 8 bytes; the 8th carries bits 49..52, so it is at most 0x0f. */
const VARUINT_BYTES_MAX = 8;
const VARUINT_LAST_BYTE_MAX = 0x0f;
/** Up to this length an ASCII string is decoded by a loop instead of TextDecoder. */
const ASCII_LOOP_BYTES_MAX = 64;

/**
 * A bounds-checked little-endian reader, the mirror of {@link ByteWriter}.
 *
 * Every method either returns a value the writer could have written or
 * throws `BatonError('BATON_PROTOCOL')` naming the field (`what`) and the
 * offset: on reading past the end, a length larger than the bytes left or
 * than its `bytesMax`, a boolean other than 0/1, a varUint that is not
 * minimal or exceeds 2^53-1, or invalid UTF-8. It never throws anything else
 * and never allocates more than the input's size.
 */
export class ByteReader {
  private readonly input: Uint8Array;
  private position = 0;

  constructor(bytes: Uint8Array) {
    // Reads by hand instead of through a DataView: making one per reader cost more than the reads.
    this.input = bytes;
  }

  /** The offset of the next byte to read. */
  get offset(): number {
    return this.position;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.input.length - this.position;
  }

  uint8(what = 'uint8'): number {
    this.need(1, what);
    return this.input[this.position++]!;
  }

  /** Reads one byte that must be 0 (false) or 1 (true). */
  bool(what = 'bool'): boolean {
    const at = this.position;
    const byte = this.uint8(what);
    if (byte > 1) throw this.invalid(what, at, `boolean byte ${byte}`);
    return byte === 1;
  }

  uint32(what = 'uint32'): number {
    this.need(4, what);
    const value = getUint32(this.input, this.position);
    this.position += 4;
    return value;
  }

  /** Reads an 8-byte non-negative safe integer. */
  uint53(what = 'uint53'): number {
    this.need(8, what);
    const low = getUint32(this.input, this.position);
    const high = getUint32(this.input, this.position + 4);
    if (high > UINT53_HIGH_MAX) throw this.invalid(what, this.position, 'integer above 2^53-1');
    this.position += 8;
    return high * TWO_POW_32 + low;
  }

  /** Reads a minimal LEB128 non-negative safe integer. */
  varUint(what = 'varUint'): number {
    const start = this.position;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < VARUINT_BYTES_MAX; i++) {
      if (this.position >= this.input.length) throw this.truncated(what, start, i + 1);
      const byte = this.input[this.position++]!;
      if (i === VARUINT_BYTES_MAX - 1 && byte > VARUINT_LAST_BYTE_MAX) {
        throw this.invalid(what, start, 'varUint above 2^53-1');
      }
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        // A zero last byte after the first means the writer padded: refuse, so each value has one encoding.
        if (byte === 0 && i > 0) throw this.invalid(what, start, 'non-minimal varUint');
        return value;
      }
      scale *= 0x80;
    }
    throw this.invalid(what, start, 'varUint above 2^53-1');
  }

  /**
   * Reads a count of items each taking at least one byte, so a count larger
   * than the bytes left is refused before anyone allocates for it.
   */
  count(what = 'count', countMax = Number.MAX_SAFE_INTEGER): number {
    const at = this.position;
    const value = this.varUint(what);
    if (value > countMax) throw this.invalid(what, at, `count ${value} above the limit ${countMax}`);
    if (value > this.remaining)
      throw this.invalid(what, at, `count ${value} but only ${this.remaining} bytes left`);
    return value;
  }

  /** Reads a varUint length and that many bytes, returned as a copy (the input buffer may be reused). */
  bytes(what = 'bytes', bytesMax = Number.MAX_SAFE_INTEGER): Uint8Array {
    const length = this.length(what, bytesMax);
    return this.input.slice(this.position - length, this.position);
  }

  /** Reads exactly `length` bytes with no prefix, as a copy. */
  raw(length: number, what = 'raw'): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0)
      throw this.invalid(what, this.position, `length ${length}`);
    this.need(length, what);
    this.position += length;
    return this.input.slice(this.position - length, this.position);
  }

  /** Reads a varUint byte length and that many bytes of strict UTF-8. */
  string(what = 'string', bytesMax = Number.MAX_SAFE_INTEGER): string {
    const length = this.length(what, bytesMax);
    const start = this.position - length;
    if (length <= ASCII_LOOP_BYTES_MAX) {
      const ascii = this.shortAscii(start, length);
      if (ascii !== undefined) return ascii;
    }
    try {
      return utf8StrictDecoder.decode(this.input.subarray(start, this.position));
    } catch {
      throw this.invalid(what, start, 'invalid UTF-8');
    }
  }

  /**
   * Short ASCII strings (member ids, request ids) without TextDecoder, whose
   * call overhead dominates for a few bytes; undefined if any byte is not ASCII.
   */
  private shortAscii(start: number, length: number): string | undefined {
    let text = '';
    for (let i = start; i < start + length; i++) {
      const byte = this.input[i]!;
      if (byte >= 0x80) return undefined;
      text += String.fromCharCode(byte);
    }
    return text;
  }

  /** Asserts that every byte was read: trailing bytes mean the frame is not what the sender meant. */
  end(what = 'frame'): void {
    if (this.position !== this.input.length) {
      throw new BatonError(
        'BATON_PROTOCOL',
        `${what}: ${this.remaining} trailing bytes after offset ${this.position}`,
      );
    }
  }

  /** Reads a length prefix, checks it, and advances past the bytes it covers. */
  private length(what: string, bytesMax: number): number {
    const at = this.position;
    const length = this.varUint(what);
    if (length > bytesMax) throw this.invalid(what, at, `length ${length} above the limit ${bytesMax}`);
    this.need(length, what);
    this.position += length;
    return length;
  }

  private need(bytes: number, what: string): void {
    if (bytes > this.input.length - this.position) throw this.truncated(what, this.position, bytes);
  }

  private truncated(what: string, at: number, bytes: number): BatonError {
    return new BatonError(
      'BATON_PROTOCOL',
      `${what}: truncated at offset ${at}, needs ${bytes} bytes, ${this.input.length - at} left`,
    );
  }

  private invalid(what: string, at: number, problem: string): BatonError {
    return new BatonError('BATON_PROTOCOL', `${what}: ${problem} at offset ${at}`);
  }
}

/** The little-endian 0..2^32-1 at `offset` (the caller checked that 4 bytes are there). */
function getUint32(input: Uint8Array, offset: number): number {
  return (
    (input[offset]! | (input[offset + 1]! << 8) | (input[offset + 2]! << 16)) +
    input[offset + 3]! * 0x100_0000
  );
}
