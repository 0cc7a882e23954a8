import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { Applier } from '../../src/runtime/applier.js';
import type { StateMachine } from '../../src/runtime/state-machine.js';
import { encodeCommand } from '../../src/state/command-codec.js';
import { encodeEnvelope } from '../../src/state/command-envelope.js';
import type { CoordinationCommand } from '../../src/state/coordination-commands.js';
import { CoordinationState } from '../../src/state/coordination-state.js';

/**
 * The coordination state under the runtime's Applier: command entries
 * arrive in session envelopes, retries are answered from the session table,
 * snapshots carry both.
 */
class Member {
  readonly state = new CoordinationState();
  readonly applier: Applier;
  private index = 0;

  constructor() {
    const machine: StateMachine = this.state; // the runtime's interface, structurally
    this.applier = new Applier(machine, undefined, ['n1']);
  }

  append(data: Uint8Array): number {
    const entry: Entry = { type: 'command', term: 1, index: ++this.index, data };
    this.applier.applyEntries([entry]);
    return entry.index;
  }

  register(): number {
    return this.append(encodeEnvelope({ kind: 'register' }));
  }

  send(session: number, seq: number, command: CoordinationCommand): number {
    const payload = encodeCommand(command);
    return this.append(encodeEnvelope({ kind: 'session', session, seq, floor: 1, payload }));
  }

  async outcome(index: number): Promise<unknown> {
    return this.applier.awaitApplied(index, 1).promise;
  }
}

describe('CoordinationState under the runtime’s Applier', () => {
  it('a retried acquire is applied once: the first result answers the retry, and its effects happen once', async () => {
    const m = new Member();
    const session = m.register();
    m.send(session, 1, { type: 'grantLease', ttlMs: 1_000, owner: 'n1' });
    m.state.takeEffects();
    const first = m.send(session, 2, { type: 'acquire', space: 'lock', name: 'x', leaseId: 2, wait: true });
    expect(m.state.takeEffects()).toMatchObject([{ type: 'granted', fencingToken: first }]);
    const retry = m.send(session, 2, { type: 'acquire', space: 'lock', name: 'x', leaseId: 2, wait: true });
    expect(m.state.takeEffects()).toEqual([]);
    expect(await m.outcome(retry)).toEqual({ kind: 'ok', result: { type: 'granted', fencingToken: first } });
    expect(m.state.waiters('lock', 'x')).toEqual([]);
  });

  it('a retried release after a re-grant answers its first result and frees nothing', async () => {
    const m = new Member();
    const session = m.register();
    const other = m.register();
    m.send(session, 1, { type: 'grantLease', ttlMs: 1_000, owner: 'n1' }); // lease 3
    m.send(other, 1, { type: 'grantLease', ttlMs: 1_000, owner: 'n2' }); // lease 4
    const held = m.send(session, 2, { type: 'acquire', space: 'lock', name: 'x', leaseId: 3, wait: true });
    m.send(other, 2, { type: 'acquire', space: 'lock', name: 'x', leaseId: 4, wait: true });
    const release = { type: 'release', space: 'lock', name: 'x', leaseId: 3, fencingToken: held } as const;
    const handOff = m.send(session, 3, release);
    m.state.takeEffects();
    const retry = m.send(session, 3, release);
    expect(await m.outcome(retry)).toEqual({ kind: 'ok', result: { type: 'released' } });
    expect(m.state.takeEffects()).toEqual([]);
    expect(m.state.holder('lock', 'x')).toMatchObject({ leaseId: 4, fencingToken: handOff });
  });

  it('an undecodable payload is a refusal, not a stopped member', async () => {
    const m = new Member();
    const index = m.append(encodeEnvelope({ kind: 'plain', payload: Uint8Array.of(1, 200, 3) }));
    expect(await m.outcome(index)).toMatchObject({
      kind: 'ok',
      result: { type: 'error', code: 'malformed-command' },
    });
    expect(m.applier.appliedIndex).toBe(index);
  });

  it('a snapshot through the Applier restores the coordination state byte-identically', () => {
    const m = new Member();
    const session = m.register();
    m.send(session, 1, { type: 'grantLease', ttlMs: 1_000, owner: 'n1' });
    m.send(session, 2, {
      type: 'acquire',
      space: 'election',
      name: 'e',
      leaseId: 2,
      value: 'ws://n1',
      wait: true,
    });
    const snapshot = m.applier.snapshot();
    const restored = new CoordinationState();
    new Applier(restored, snapshot, ['n1']);
    expect(restored.snapshot()).toEqual(m.state.snapshot());
    expect(restored.holder('election', 'e')).toMatchObject({ value: 'ws://n1', fencingToken: 3 });
  });
});
