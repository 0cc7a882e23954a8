import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import {
  type AppliedTerms,
  decodePut,
  encodePut,
  KvRegisterMachine,
} from '../../src/sim/runtime/kv-register-machine.js';

const put = (index: number, key: string, value: string, term = 1): Entry => ({
  type: 'command',
  index,
  term,
  data: encodePut(key, value),
});

describe('KvRegisterMachine', () => {
  it('decodes what it encodes and ignores other commands', () => {
    expect(decodePut(encodePut('k0', 'c1.7'))).toEqual({ key: 'k0', value: 'c1.7' });
    expect(decodePut(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it('applies puts, reads them back, and remembers every value it applied', () => {
    const kv = new KvRegisterMachine(new Map());
    expect(kv.get('k0')).toBeNull();
    kv.apply(put(1, 'k0', 'a'));
    kv.apply({ type: 'noop', index: 2, term: 1 });
    kv.apply(put(3, 'k0', 'b'));
    expect(kv.get('k0')).toBe('b');
    expect(kv.hasApplied('a')).toBe(true);
    expect(kv.violation).toBeUndefined();
  });

  it('notes a value applied twice', () => {
    const kv = new KvRegisterMachine(new Map());
    kv.apply(put(1, 'k0', 'a'));
    kv.apply(put(2, 'k1', 'a'));
    expect(kv.violation).toMatch(/twice/);
  });

  it('notes two members applying different entries at one index', () => {
    const shared: AppliedTerms = new Map();
    new KvRegisterMachine(shared).apply(put(1, 'k0', 'a', 1));
    const other = new KvRegisterMachine(shared);
    other.apply(put(1, 'k0', 'b', 2));
    expect(other.violation).toMatch(/index 1/);
  });

  it('keeps values and the applied set across a snapshot, so a value applied again after a restore is caught', () => {
    const kv = new KvRegisterMachine(new Map());
    kv.apply(put(1, 'k0', 'a'));
    const restored = new KvRegisterMachine(new Map());
    restored.restore(kv.snapshot());
    expect(restored.get('k0')).toBe('a');
    restored.apply(put(2, 'k0', 'a'));
    expect(restored.violation).toMatch(/twice/);
  });
});
