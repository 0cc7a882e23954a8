import { describe, expect, it } from 'vitest';
import { BatonError, isBatonError } from '../src/errors.js';

describe('BatonError', () => {
  it('carries a stable code, the field and the cause', () => {
    const cause = new Error('inner');
    const e = new BatonError('BATON_CONFIG', 'bad', { field: 'heartbeatMs', value: -1, cause });
    expect(e.code).toBe('BATON_CONFIG');
    expect(e.field).toBe('heartbeatMs');
    expect(e.value).toBe(-1);
    expect(e.cause).toBe(cause);
    expect(isBatonError(e)).toBe(true);
    expect(isBatonError(e, 'BATON_CONFIG')).toBe(true);
    expect(isBatonError(e, 'BATON_STOPPED')).toBe(false);
    expect(isBatonError(new Error('x'))).toBe(false);
  });
});
