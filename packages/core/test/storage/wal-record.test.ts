import { describe, expect, it } from 'vitest';
import {
  encodeRecord,
  findValidRecordAfter,
  RECORD_HEADER_BYTES,
  RECORD_TYPES,
  readRecord,
} from '../../src/storage/wal-record.js';

const MAX = 1024;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

describe('wal-record framing', () => {
  it('round-trips records back to back, including an empty payload', () => {
    const a = encodeRecord(RECORD_TYPES.entry, Uint8Array.of(1, 2, 3));
    const b = encodeRecord(RECORD_TYPES.hardState, new Uint8Array(0));
    const bytes = concat(a, b);
    const first = readRecord(bytes, 0, MAX);
    expect(first).toMatchObject({ ok: true, type: RECORD_TYPES.entry, end: a.length });
    expect(first.ok && [...first.payload]).toEqual([1, 2, 3]);
    const second = readRecord(bytes, a.length, MAX);
    expect(second).toMatchObject({ ok: true, type: RECORD_TYPES.hardState, end: bytes.length });
    expect(second.ok && second.payload.length).toBe(0);
  });

  it('lays out [length u32 LE][crc32 u32 LE][type u8][payload]', () => {
    const record = encodeRecord(RECORD_TYPES.logReset, Uint8Array.of(0xaa, 0xbb));
    expect(record.length).toBe(RECORD_HEADER_BYTES + 2);
    expect([...record.subarray(0, 4)]).toEqual([2, 0, 0, 0]);
    expect(record[8]).toBe(RECORD_TYPES.logReset);
    expect([...record.subarray(9)]).toEqual([0xaa, 0xbb]);
  });

  it('reports a partial header or payload as truncated', () => {
    const record = encodeRecord(RECORD_TYPES.entry, Uint8Array.of(1, 2, 3, 4));
    for (let cut = 1; cut < record.length; cut++) {
      expect(readRecord(record.subarray(0, cut), 0, MAX)).toEqual({ ok: false, problem: 'truncated' });
    }
  });

  it('detects a change to any byte of the type, checksum or payload', () => {
    const record = encodeRecord(RECORD_TYPES.entry, Uint8Array.of(1, 2, 3, 4));
    for (let at = 4; at < record.length; at++) {
      const damaged = record.slice();
      damaged[at] = (damaged[at] ?? 0) ^ 0x10;
      expect(readRecord(damaged, 0, MAX).ok).toBe(false);
    }
  });

  it('refuses a length over payloadBytesMax, and a well-formed record of an unknown type', () => {
    expect(readRecord(encodeRecord(RECORD_TYPES.entry, new Uint8Array(10)), 0, 9)).toEqual({
      ok: false,
      problem: 'oversized',
    });
    const unknown = encodeRecord(RECORD_TYPES.entry, new Uint8Array(0));
    unknown[8] = 99;
    // Recompute nothing: the CRC covers the type, so this is a checksum failure...
    expect(readRecord(unknown, 0, MAX)).toEqual({ ok: false, problem: 'checksum' });
    // ...and a record framed with an unknown type but a correct CRC is 'unknown-type'.
    const framed = encodeRecord(99 as never, Uint8Array.of(5));
    expect(readRecord(framed, 0, MAX)).toEqual({ ok: false, problem: 'unknown-type' });
  });

  it('finds the next valid record after damage, and none in zeros or a torn end', () => {
    const a = encodeRecord(RECORD_TYPES.entry, Uint8Array.of(1, 2, 3));
    const b = encodeRecord(RECORD_TYPES.entry, Uint8Array.of(4, 5, 6));
    const damaged = concat(a, b);
    damaged[10] = 0xff;
    expect(findValidRecordAfter(damaged, 0, MAX)).toBe(a.length);
    expect(findValidRecordAfter(concat(a, new Uint8Array(64)), a.length, MAX)).toBeUndefined();
    expect(findValidRecordAfter(concat(a, b.subarray(0, b.length - 1)), a.length, MAX)).toBeUndefined();
  });
});
