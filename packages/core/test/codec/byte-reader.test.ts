import { describe, expect, it } from 'vitest';
import { ByteReader } from '../../src/codec/byte-reader.js';
import { ByteWriter } from '../../src/codec/byte-writer.js';
import { isBatonError } from '../../src/errors.js';

function expectProtocolError(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(isBatonError(thrown, 'BATON_PROTOCOL')).toBe(true);
}

function reader(...bytes: number[]): ByteReader {
  return new ByteReader(new Uint8Array(bytes));
}

describe('ByteReader', () => {
  it('reads back everything the writer writes', () => {
    const data = new Uint8Array([9, 8, 7]);
    const w = new ByteWriter()
      .uint8(255)
      .bool(true)
      .bool(false)
      .uint32(0xffff_ffff)
      .uint53(Number.MAX_SAFE_INTEGER)
      .uint53(0)
      .bytes(data)
      .bytes(new Uint8Array(0))
      .string('n1 é😀')
      .raw(new Uint8Array([1, 2]));
    for (const v of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
      w.varUint(v);
    }
    const r = new ByteReader(w.finish());
    expect(r.uint8()).toBe(255);
    expect(r.bool()).toBe(true);
    expect(r.bool()).toBe(false);
    expect(r.uint32()).toBe(0xffff_ffff);
    expect(r.uint53()).toBe(Number.MAX_SAFE_INTEGER);
    expect(r.uint53()).toBe(0);
    expect(r.bytes()).toEqual(data);
    expect(r.bytes()).toEqual(new Uint8Array(0));
    expect(r.string()).toBe('n1 é😀');
    expect(r.raw(2)).toEqual(new Uint8Array([1, 2]));
    for (const v of [0, 1, 127, 128, 16_383, 16_384, 2 ** 31, 2 ** 32, 2 ** 49, Number.MAX_SAFE_INTEGER]) {
      expect(r.varUint()).toBe(v);
    }
    expect(r.remaining).toBe(0);
    r.end();
  });

  it('reads from a view that does not start at offset 0 of its buffer', () => {
    const backing = new Uint8Array([0xee, 0xee, 4, 3, 2, 1, 0xee]);
    const r = new ByteReader(backing.subarray(2, 6));
    expect(r.uint32()).toBe(0x01020304);
    r.end();
  });

  it('returns copies of byte fields, not views of the input', () => {
    const input = new ByteWriter().bytes(new Uint8Array([1, 2])).finish();
    const out = new ByteReader(input).bytes();
    input[1] = 99;
    expect(out).toEqual(new Uint8Array([1, 2]));
  });

  it('refuses to read past the end', () => {
    expectProtocolError(() => reader().uint8());
    expectProtocolError(() => reader(1, 2, 3).uint32());
    expectProtocolError(() => reader(1, 2, 3, 4, 5, 6, 7).uint53());
    expectProtocolError(() => reader(0x80).varUint());
    expectProtocolError(() => reader(3, 1, 2).bytes());
    expectProtocolError(() => reader(2, 0x61).string());
    expectProtocolError(() => reader(1).raw(2));
    expectProtocolError(() => reader(1).raw(-1));
  });

  it('refuses booleans other than 0 and 1', () => {
    expectProtocolError(() => reader(2).bool());
    expectProtocolError(() => reader(0xff).bool());
  });

  it('refuses integers above 2^53-1', () => {
    expectProtocolError(() => reader(0, 0, 0, 0, 0, 0, 0x20, 0).uint53());
    expectProtocolError(() => reader(0, 0, 0, 0, 0, 0, 0, 1).uint53());
    expectProtocolError(() => reader(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x10).varUint());
    expectProtocolError(() => reader(0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01).varUint());
  });

  it('refuses non-minimal varUints, so each value has one encoding', () => {
    expectProtocolError(() => reader(0x80, 0x00).varUint());
    expectProtocolError(() => reader(0x81, 0x80, 0x00).varUint());
    expect(reader(0x00).varUint()).toBe(0);
  });

  it('refuses lengths and counts above their limit or the bytes left', () => {
    expectProtocolError(() => reader(3, 1, 2, 3).bytes('data', 2));
    expectProtocolError(() => reader(3, 0x61, 0x62, 0x63).string('id', 2));
    expect(reader(2, 0x61, 0x62).string('id', 2)).toBe('ab');
    expectProtocolError(() => reader(3, 0, 0).count());
    expectProtocolError(() => reader(2, 0, 0).count('entries', 1));
    expect(reader(2, 0, 0).count('entries', 2)).toBe(2);
  });

  it('refuses invalid UTF-8', () => {
    expectProtocolError(() => reader(1, 0xff).string());
    expectProtocolError(() => reader(2, 0xc3, 0x28).string());
    expectProtocolError(() => reader(3, 0xed, 0xa0, 0x80).string());
  });

  it('keeps a leading byte-order mark as part of the string', () => {
    expect(reader(3, 0xef, 0xbb, 0xbf).string()).toBe('\ufeff');
  });

  it('refuses trailing bytes at the end', () => {
    const r = reader(1, 2);
    r.uint8();
    expectProtocolError(() => r.end());
    r.uint8();
    r.end();
  });
});
