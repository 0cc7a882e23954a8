import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { isBatonError } from '../../src/errors.js';

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

function expectProtocolError(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isBatonError(thrown, 'BATON_PROTOCOL')).toBe(true);
}

describe('ByteWriter', () => {
  it('writes fixed-width integers little-endian', () => {
    const w = new ByteWriter()
      .uint8(0xab)
      .uint32(0x01020304)
      .uint53(2 ** 40 + 5)
      .bool(true)
      .bool(false);
    expect(hex(w.finish())).toBe('ab 04 03 02 01 05 00 00 00 00 01 00 00 01 00');
  });

  it('writes the largest safe integer in 8 bytes', () => {
    expect(hex(new ByteWriter().uint53(Number.MAX_SAFE_INTEGER).finish())).toBe('ff ff ff ff ff ff 1f 00');
  });

  it('writes minimal LEB128 varUints', () => {
    expect(hex(new ByteWriter().varUint(0).finish())).toBe('00');
    expect(hex(new ByteWriter().varUint(127).finish())).toBe('7f');
    expect(hex(new ByteWriter().varUint(128).finish())).toBe('80 01');
    expect(hex(new ByteWriter().varUint(300).finish())).toBe('ac 02');
    expect(hex(new ByteWriter().varUint(2 ** 32).finish())).toBe('80 80 80 80 10');
    expect(hex(new ByteWriter().varUint(Number.MAX_SAFE_INTEGER).finish())).toBe('ff ff ff ff ff ff ff 0f');
  });

  it('writes length-prefixed bytes and UTF-8 strings', () => {
    const w = new ByteWriter()
      .bytes(new Uint8Array([1, 2, 3]))
      .string('é€😀')
      .string('');
    expect(hex(w.finish())).toBe('03 01 02 03 09 c3 a9 e2 82 ac f0 9f 98 80 00');
  });

  it('writes a lone surrogate as U+FFFD with a matching length', () => {
    expect(hex(new ByteWriter().string('\ud800').finish())).toBe('03 ef bf bd');
  });

  it('grows past its initial capacity and keeps what it wrote', () => {
    const w = new ByteWriter({ initialBytes: 16 });
    const payload = new Uint8Array(10_000).map((_, i) => i % 251);
    w.uint8(7).raw(payload).uint8(9);
    const out = w.finish();
    expect(out.length).toBe(10_002);
    expect(out[0]).toBe(7);
    expect(out.subarray(1, 10_001)).toEqual(payload);
    expect(out[10_001]).toBe(9);
  });

  it('a finished frame never changes while later writers write, whatever their sizes', () => {
    // Small buffers share slabs: each writer's bytes must be its own, and only its unwritten tail is reused.
    const kept: { frame: Uint8Array; fill: number; length: number }[] = [];
    let seed = 7;
    for (let i = 0; i < 3000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const length = [1, 15, 200, 255, 257, 2047, 2049, 5000][seed % 8]!;
      const fill = i % 251;
      // Two writers at once (one encoding while another is under way), finished in either order.
      const w = new ByteWriter({ initialBytes: 1 + (seed % 300) });
      const other = new ByteWriter({ initialBytes: 1 + (seed % 50) });
      for (let j = 0; j < length; j++) w.uint8(fill);
      other.uint8(250 - fill).uint8(250 - fill);
      if (seed % 2 === 0) kept.push({ frame: w.finish(), fill, length });
      kept.push({ frame: other.finish(), fill: 250 - fill, length: 2 });
      if (seed % 2 === 1) kept.push({ frame: w.finish(), fill, length });
    }
    for (const { frame, fill, length } of kept) {
      expect(frame.length).toBe(length);
      expect(frame.every((b) => b === fill)).toBe(true);
    }
  });

  it('a writer finished after the slab moved on gives nothing back to the new one', () => {
    // Depends on the slab's sizes (16 KiB, slices up to 2 KiB): full slices line the slabs up.
    const full = (fill: number) => {
      const w = new ByteWriter({ initialBytes: 2048 });
      for (let i = 0; i < 2048; i++) w.uint8(fill);
      return w.finish();
    };
    while (full(1).byteOffset !== 0); // a fresh slab, its first 2 KiB used
    const open = new ByteWriter({ initialBytes: 2048 }); // the next 2 KiB, left open
    for (let i = 0; i < 6; i++) full(2); // the slab is full
    const g = full(7); // the next slab's first 2 KiB
    const h = full(8); // its next 2 KiB: that slab's used bytes now equal the open writer's end
    expect(g.byteOffset).toBe(0);
    expect(open.uint8(3).finish()).toStrictEqual(Uint8Array.of(3));
    full(0xee);
    expect(g.every((b) => b === 7)).toBe(true);
    expect(h.every((b) => b === 8)).toBe(true);
  });

  it('patches a uint32 already written', () => {
    const w = new ByteWriter().uint32(0).uint8(1);
    w.patchUint32(0, 0xdeadbeef);
    expect(hex(w.finish())).toBe('ef be ad de 01');
    expectProtocolError(() => w.patchUint32(2, 1));
    expectProtocolError(() => w.patchUint32(-1, 1));
  });

  it('refuses to grow past bytesMax', () => {
    const w = new ByteWriter({ initialBytes: 16, bytesMax: 32 });
    w.raw(new Uint8Array(32));
    expectProtocolError(() => w.uint8(0));
    expect(w.length).toBe(32);
  });

  it.each([
    ['uint8', -1],
    ['uint8', 256],
    ['uint8', 1.5],
    ['uint32', 2 ** 32],
    ['uint32', -1],
    ['uint53', 2 ** 53],
    ['uint53', -1],
    ['uint53', Number.NaN],
    ['varUint', 2 ** 53],
    ['varUint', -0.5],
    ['varUint', Number.POSITIVE_INFINITY],
  ] as const)('refuses %s %s', (method, value) => {
    expectProtocolError(() => new ByteWriter()[method](value));
  });
});
