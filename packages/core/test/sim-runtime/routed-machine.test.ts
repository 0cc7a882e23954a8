import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { CoordinationMachine } from '../../src/runtime/coordination-machine.js';
import { encodePut, KvRegisterMachine } from '../../src/sim/runtime/kv-register-machine.js';
import { RoutedMachine } from '../../src/sim/runtime/routed-machine.js';
import { encodeCommand } from '../../src/state/command-codec.js';
import type { CoordinationEffect } from '../../src/state/coordination-commands.js';

const command = (index: number, data: Uint8Array): Entry => ({ type: 'command', index, term: 1, data });

function machine() {
  const applied: [number, CoordinationEffect[]][] = [];
  let restores = 0;
  const routed = new RoutedMachine('n1', new KvRegisterMachine(new Map()), new CoordinationMachine(), {
    applied: (_member, index, effects) => applied.push([index, [...effects]]),
    restored: () => restores++,
  });
  return { routed, applied, restores: () => restores };
}

describe('RoutedMachine', () => {
  it('gives puts to the registers and everything else to the coordination state, with each entry’s effects', () => {
    const { routed, applied } = machine();
    expect(routed.apply(command(1, encodePut('k0', 'v1')))).toBe(1);
    expect(routed.apply(command(2, encodeCommand({ type: 'grantLease', ttlMs: 1000, owner: 'n1' })))).toEqual(
      {
        type: 'leaseGranted',
        leaseId: 2,
        ttlMs: 1000,
      },
    );
    expect(routed.apply({ type: 'noop', index: 3, term: 1 })).toBeNull();
    routed.apply(
      command(4, encodeCommand({ type: 'acquire', space: 'lock', name: 'a', leaseId: 2, wait: true })),
    );
    expect(routed.kv.get('k0')).toBe('v1');
    expect(applied.map(([index, effects]) => [index, effects.map((e) => e.type)])).toEqual([
      [2, ['leaseGranted']],
      [3, []],
      [4, ['granted']],
    ]);
  });

  it('snapshots both parts and restores them', () => {
    const a = machine();
    a.routed.apply(command(1, encodePut('k0', 'v1')));
    a.routed.apply(command(2, encodeCommand({ type: 'grantLease', ttlMs: 1000, owner: 'n1' })));
    const b = machine();
    b.routed.restore(a.routed.snapshot());
    expect(b.routed.kv.get('k0')).toBe('v1');
    expect(b.routed.coordination.state.lease(2)).toMatchObject({ ttlMs: 1000, owner: 'n1' });
    expect(b.restores()).toBe(1);
  });
});
