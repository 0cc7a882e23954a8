import { describe, expect, it } from 'vitest';
import { utf8ByteLength, utf8Encoder, utf8StrictDecoder } from '../../src/codec/utf8.js';

describe('utf8ByteLength', () => {
  it.each([
    '',
    'n1',
    'é',
    '€',
    '😀',
    'mixed é€😀 text',
    '\ud800',
    '\udc00',
    'a\ud800b',
    '\udc00\ud800',
    '\ud83d',
  ])('matches what TextEncoder produces for %j', (text) => {
    expect(utf8ByteLength(text)).toBe(utf8Encoder.encode(text).length);
  });
});

describe('utf8StrictDecoder', () => {
  it('throws on invalid UTF-8 instead of substituting U+FFFD', () => {
    expect(() => utf8StrictDecoder.decode(new Uint8Array([0xff]))).toThrow();
  });
});
