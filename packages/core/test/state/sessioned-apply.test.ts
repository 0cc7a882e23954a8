import { describe, expect, it } from 'vitest';
import { ClientSessions } from '../../src/state/client-sessions.js';
import { encodeEnvelope } from '../../src/state/command-envelope.js';
import { applySessioned } from '../../src/state/sessioned-apply.js';

describe('applySessioned', () => {
  it('opens sessions, executes each (session, seq) once, and runs plain commands every time', () => {
    const sessions = new ClientSessions({ sessionsMax: 8, resultsPerSessionMax: 8 });
    const executed: number[] = [];
    const run = (index: number, data: Uint8Array) =>
      applySessioned(sessions, { index, data }, (payload) => {
        executed.push(payload[0]!);
        return payload[0]! * 10;
      });
    expect(run(1, encodeEnvelope({ kind: 'register' }))).toEqual({ kind: 'registered', session: 1 });
    const cmd = encodeEnvelope({ kind: 'session', session: 1, seq: 1, floor: 1, payload: Uint8Array.of(4) });
    expect(run(2, cmd)).toEqual({ kind: 'ok', result: 40 });
    expect(run(3, cmd)).toEqual({ kind: 'ok', result: 40 });
    const plain = encodeEnvelope({ kind: 'plain', payload: Uint8Array.of(5) });
    expect(run(4, plain)).toEqual({ kind: 'ok', result: 50 });
    expect(run(5, plain)).toEqual({ kind: 'ok', result: 50 });
    const unknown = encodeEnvelope({
      kind: 'session',
      session: 9,
      seq: 1,
      floor: 1,
      payload: Uint8Array.of(6),
    });
    expect(run(6, unknown)).toEqual({ kind: 'expired' });
    expect(executed).toEqual([4, 5, 5]);
  });
});
