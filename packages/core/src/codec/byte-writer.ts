import { BatonError } from '../errors.js';
import { utf8ByteLength, utf8Encoder } from './utf8.js';

/** Options of a {@link ByteWriter}. */
export interface ByteWriterOptions {
  /** Capacity to start with; the buffer doubles as needed. Default 256. */
  readonly initialBytes?: number;
  /** The writer refuses to grow past this many bytes. Default {@link WRITER_BYTES_MAX_DEFAULT}. */
  readonly bytesMax?: number;
}

/** Default ceiling of one writer's output: far above any frame or record Baton produces. */
export const WRITER_BYTES_MAX_DEFAULT: number = 64 * 1024 * 1024;

/** The largest value {@link ByteWriter.uint32} accepts. */
export const UINT32_MAX = 0xffff_ffff;

const TWO_POW_32 = 0x1_0000_0000;
/** Up to this length an ASCII string is copied by a loop instead of TextEncoder. */
const ASCII_LOOP_BYTES_MAX = 64;

/**
 * A growable little-endian byte buffer for the codec's primitives. Every
 * value is checked before it is written: a value the matching
 * {@link ByteReader} method would refuse throws `BatonError('BATON_PROTOCOL')`
 * here instead of producing a frame no peer can read.
 *
 * Integers come in three shapes: `uint8`, fixed `uint32`, and `uint53` (any
 * non-negative safe integer, for terms and indexes) either fixed in 8 bytes
 * or as a LEB128 `varUint` (1 byte below 128, at most 8 bytes).
 */
export class ByteWriter {
  private buffer: Uint8Array;
  private position = 0;
  private readonly bytesMax: number;

  constructor(options: ByteWriterOptions = {}) {
    this.bytesMax = options.bytesMax ?? WRITER_BYTES_MAX_DEFAULT;
    const initialBytes = Math.min(Math.max(options.initialBytes ?? 256, 16), this.bytesMax);
    this.buffer = allocate(initialBytes);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.position;
  }

  /** Writes one byte, 0..255. */
  uint8(value: number): this {
    checkUint(value, 0xff, 'uint8');
    this.reserve(1);
    this.buffer[this.position++] = value;
    return this;
  }

  /** Writes a boolean as one byte, 0 or 1. */
  bool(value: boolean): this {
    this.reserve(1);
    this.buffer[this.position++] = value ? 1 : 0;
    return this;
  }

  /** Writes 0..2^32-1 in 4 bytes. */
  uint32(value: number): this {
    checkUint(value, UINT32_MAX, 'uint32');
    this.reserve(4);
    setUint32(this.buffer, this.position, value);
    this.position += 4;
    return this;
  }

  /** Overwrites 4 bytes at `offset` (already written), e.g. a length or checksum known only at the end. */
  patchUint32(offset: number, value: number): this {
    checkUint(value, UINT32_MAX, 'uint32');
    if (!Number.isInteger(offset) || offset < 0 || offset + 4 > this.position) {
      throw new BatonError('BATON_PROTOCOL', `cannot patch uint32 at offset ${offset} of ${this.position}`);
    }
    setUint32(this.buffer, offset, value);
    return this;
  }

  /** Writes a non-negative safe integer in 8 bytes (low 32 bits first). */
  uint53(value: number): this {
    checkUint(value, Number.MAX_SAFE_INTEGER, 'uint53');
    this.reserve(8);
    setUint32(this.buffer, this.position, value % TWO_POW_32);
    setUint32(this.buffer, this.position + 4, Math.floor(value / TWO_POW_32));
    this.position += 8;
    return this;
  }

  /** Writes a non-negative safe integer as LEB128: 7 bits a byte, low bits first, minimal length. */
  varUint(value: number): this {
    checkUint(value, Number.MAX_SAFE_INTEGER, 'varUint');
    this.reserve(8);
    let rest = value;
    // Arithmetic instead of bit operators: JS bitwise operations truncate to 32 bits.
    while (rest >= 0x80) {
      this.buffer[this.position++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.buffer[this.position++] = rest;
    return this;
  }

  /** Writes `data` as a varUint length followed by the bytes. */
  bytes(data: Uint8Array): this {
    this.varUint(data.length);
    return this.raw(data);
  }

  /** Writes `data` as is, with no length prefix. */
  raw(data: Uint8Array): this {
    this.reserve(data.length);
    this.buffer.set(data, this.position);
    this.position += data.length;
    return this;
  }

  /**
   * Writes `text` as a varUint byte length followed by its UTF-8 bytes.
   * Lone surrogates are written as U+FFFD (what TextEncoder does).
   */
  string(text: string): this {
    const byteLength = utf8ByteLength(text);
    this.varUint(byteLength);
    this.reserve(byteLength);
    if (byteLength === text.length && byteLength <= ASCII_LOOP_BYTES_MAX) {
      // All ASCII and short (member ids, request ids): a plain loop beats encodeInto's call overhead.
      for (let i = 0; i < byteLength; i++) this.buffer[this.position++] = text.charCodeAt(i);
      return this;
    }
    const { written } = utf8Encoder.encodeInto(text, this.buffer.subarray(this.position));
    this.position += written;
    return this;
  }

  /**
   * The bytes written so far. The result is a view of the writer's buffer, not
   * a copy, and that buffer may be a slice of a slab shared with other
   * writers: stop writing once you have taken it (the unwritten tail may
   * already belong to the next writer).
   */
  finish(): Uint8Array {
    giveBack(this.buffer, this.position);
    return this.buffer.subarray(0, this.position);
  }

  private reserve(bytes: number): void {
    const needed = this.position + bytes;
    if (needed <= this.buffer.length) return;
    if (needed > this.bytesMax) {
      throw new BatonError('BATON_PROTOCOL', `encoded size ${needed} would exceed bytesMax ${this.bytesMax}`);
    }
    const capacity = Math.min(Math.max(needed, this.buffer.length * 2), this.bytesMax);
    const grown = allocate(capacity);
    grown.set(this.buffer.subarray(0, this.position));
    this.buffer = grown;
  }
}

/** Writes `value` (0..2^32-1) little-endian at `offset`. */
function setUint32(buffer: Uint8Array, offset: number, value: number): void {
  buffer[offset] = value & 0xff;
  buffer[offset + 1] = (value >>> 8) & 0xff;
  buffer[offset + 2] = (value >>> 16) & 0xff;
  buffer[offset + 3] = (value >>> 24) & 0xff;
}

/**
 * Small buffers are cut from a shared slab, as Node's Buffer pool does:
 * an ArrayBuffer of its own for every frame and record (each one memory
 * outside V8's heap, tracked by the GC) cost more than encoding into it.
 * A slice is never handed out twice, so it starts zeroed like any new
 * buffer. A kept slice keeps its whole slab alive: bytes kept for long
 * (entries in the raft log) get a buffer of their own (encodeEnvelope).
 */
const SLAB_BYTES = 16 * 1024;
/** Larger buffers get an ArrayBuffer of their own. */
const SLAB_SLICE_BYTES_MAX = 2048;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function allocate(bytes: number): Uint8Array {
  if (bytes > SLAB_SLICE_BYTES_MAX) return new Uint8Array(bytes);
  if (slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const slice = new Uint8Array(slab, slabUsed, bytes);
  slabUsed += bytes;
  return slice;
}

/**
 * Returns the unwritten tail of `buffer` to the slab when it was the last
 * slice cut: the next writer starts right after the bytes just finished.
 * The tail was never written (the writer only writes below its position),
 * so it is still zero.
 */
function giveBack(buffer: Uint8Array, written: number): void {
  if (buffer.buffer === slab && buffer.byteOffset + buffer.length === slabUsed) {
    slabUsed = buffer.byteOffset + written;
  }
}

function checkUint(value: number, max: number, kind: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new BatonError('BATON_PROTOCOL', `cannot encode ${String(value)} as ${kind} (0..${max})`);
  }
}
