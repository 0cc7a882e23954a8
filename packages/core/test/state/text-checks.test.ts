import { describe, expect, it } from 'vitest';
import { identifierProblem, measureText, valueProblem } from '../../src/state/text-checks.js';

describe('text checks', () => {
  it('measures UTF-8 bytes as TextEncoder does, for every width', () => {
    for (const text of ['', 'ascii', 'é', '€', '😀', 'a€😀é']) {
      expect(measureText(text).bytes).toBe(new TextEncoder().encode(text).byteLength);
    }
  });

  it('a lone surrogate cannot be encoded faithfully', () => {
    for (const text of ['\uD800', 'a\uDC00b', '\uD83D']) expect(measureText(text).bytes).toBe(-1);
  });

  it('identifiers are non-empty, bounded, without control characters; values only bounded', () => {
    expect(identifierProblem('invoice-42', 16)).toBeUndefined();
    expect(identifierProblem('', 16)).toBe('is empty');
    expect(identifierProblem('a\u0000', 16)).toBe('holds a control character');
    expect(identifierProblem('a\u007f', 16)).toBe('holds a control character');
    expect(identifierProblem('€€', 5)).toMatch(/6 UTF-8 bytes/);
    expect(valueProblem('', 4)).toBeUndefined();
    expect(valueProblem('line\nbreak', 16)).toBeUndefined();
    expect(valueProblem('12345', 4)).toMatch(/5 UTF-8 bytes/);
    expect(valueProblem('\uDBFF', 4)).toBe('holds a lone surrogate');
  });
});
