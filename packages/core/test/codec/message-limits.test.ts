import { describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE_LIMITS, resolveMessageLimits } from '../../src/codec/message-limits.js';
import { isBatonError } from '../../src/errors.js';

describe('resolveMessageLimits', () => {
  it('fills in the defaults', () => {
    expect(resolveMessageLimits()).toEqual(DEFAULT_MESSAGE_LIMITS);
    expect(resolveMessageLimits({ entriesMax: 8, idBytesMax: undefined })).toEqual({
      ...DEFAULT_MESSAGE_LIMITS,
      entriesMax: 8,
    });
  });

  it('returns a frozen copy and leaves the input untouched', () => {
    const input = { bytesMax: 1024 };
    const resolved = resolveMessageLimits(input);
    expect(Object.isFrozen(resolved)).toBe(true);
    expect(input).toEqual({ bytesMax: 1024 });
  });

  it.each([
    ['bytesMax', 0],
    ['entriesMax', -1],
    ['idBytesMax', 1.5],
    ['membersMax', Number.NaN],
    ['addressBytesMax', 2 ** 53],
  ] as const)('refuses %s = %s with BATON_CONFIG naming the field', (field, value) => {
    let thrown: unknown;
    try {
      resolveMessageLimits({ [field]: value });
    } catch (e) {
      thrown = e;
    }
    expect(isBatonError(thrown, 'BATON_CONFIG')).toBe(true);
    expect(isBatonError(thrown) && thrown.field).toBe(field);
  });
});
