import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { Applier } from '../../src/runtime/applier.js';
import type { StateMachine } from '../../src/runtime/state-machine.js';
import { encodeEnvelope } from '../../src/state/command-envelope.js';

/** A state machine answering every command with `result()`. */
class ResultMachine implements StateMachine {
  constructor(private readonly result: () => unknown) {}
  apply(): unknown {
    return this.result();
  }
  snapshot(): Uint8Array {
    return new Uint8Array();
  }
  restore(): void {}
}

const voters = ['n1', 'n2', 'n3'];
const register = (index: number): Entry => ({
  type: 'command',
  term: 1,
  index,
  data: encodeEnvelope({ kind: 'register' }),
});
const cmd = (index: number, seq: number): Entry => ({
  type: 'command',
  term: 1,
  index,
  data: encodeEnvelope({ kind: 'session', session: 1, seq, floor: 1, payload: Uint8Array.of(9) }),
});

describe('Applier: command results are what every member holds', () => {
  it('a member that installed a snapshot answers a retry exactly like the one that executed it', async () => {
    for (const value of [undefined, Number.NaN, { a: undefined, b: 1 }, [1, undefined]]) {
      const executed = new Applier(new ResultMachine(() => value), undefined, voters);
      executed.applyEntries([register(1), cmd(2, 1)]);
      const installed = new Applier(new ResultMachine(() => value), executed.snapshot(), voters);
      executed.applyEntries([cmd(3, 1)]);
      installed.applyEntries([cmd(3, 1)]);
      const first = await executed.awaitApplied(2, 1).promise;
      const a = await executed.awaitApplied(3, 1).promise;
      const b = await installed.awaitApplied(3, 1).promise;
      expect(b).toStrictEqual(a);
      expect(a).toStrictEqual(first);
    }
  });

  it('knows the outcomes of the last 4096 indexes applied, and says which it no longer knows', async () => {
    const applier = new Applier(new ResultMachine(() => ({ ok: true })), undefined, voters);
    applier.applyEntries([register(1)]);
    const last = 5000;
    applier.applyEntries(Array.from({ length: last - 1 }, (_, i) => cmd(i + 2, i + 1)));
    const codeOf = (p: Promise<unknown>) =>
      p.then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      );
    expect(await applier.awaitApplied(last, 1).promise).toStrictEqual({ kind: 'ok', result: { ok: true } });
    expect(await codeOf(applier.awaitApplied(last - 4095, 1).promise)).toBe('resolved');
    expect(await codeOf(applier.awaitApplied(last - 4096, 1).promise)).toBe('BATON_UNAVAILABLE');
    expect(await codeOf(applier.awaitApplied(last, 2).promise)).toBe('BATON_NOT_LEADER');
  });

  it('a result JSON cannot encode does not make the next snapshot fail', () => {
    const applier = new Applier(new ResultMachine(() => 10n), undefined, voters);
    applier.applyEntries([register(1), cmd(2, 1)]);
    expect(() => applier.snapshot()).not.toThrow();
  });
});

describe('Applier: an entry that is not a command envelope', () => {
  it('stops the member with BATON_STORAGE_CORRUPT naming the entry (an old-format or damaged log)', () => {
    const applier = new Applier(new ResultMachine(() => 1), undefined, voters);
    const raw: Entry = { type: 'command', term: 1, index: 4, data: Uint8Array.of(0, 1, 2) };
    expect(() => applier.applyEntries([raw])).toThrow(
      expect.objectContaining({ code: 'BATON_STORAGE_CORRUPT' }),
    );
  });
});
