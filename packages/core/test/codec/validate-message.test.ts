import { describe, expect, it } from 'vitest';
import { DEFAULT_MESSAGE_LIMITS, resolveMessageLimits } from '../../src/codec/message-limits.js';
import { validateMessage } from '../../src/codec/validate-message.js';
import { isBatonError } from '../../src/errors.js';
import type { Entry, Message } from '../../src/raft/types.js';
import { sampleMessages } from './message-samples.js';

function refuses(msg: unknown, limits = DEFAULT_MESSAGE_LIMITS): boolean {
  try {
    validateMessage(msg as Message, limits);
  } catch (e) {
    return isBatonError(e, 'BATON_PROTOCOL');
  }
  return false;
}

const append = {
  type: 'append',
  from: 'n1',
  to: 'n2',
  term: 5,
  prevLogIndex: 10,
  prevLogTerm: 4,
  commit: 10,
  entries: [
    { type: 'noop', term: 4, index: 11 },
    { type: 'command', term: 5, index: 12, data: new Uint8Array([1]) },
  ] as Entry[],
} as const satisfies Message;

const snapshot = sampleMessages.find((m) => m.type === 'snapshot')!;

describe('validateMessage', () => {
  it.each(sampleMessages.map((m) => [m.type, m] as const))('accepts a valid %s', (_, msg) => {
    expect(refuses(msg)).toBe(false);
  });

  it('refuses an unknown type and non-objects', () => {
    expect(refuses({ ...append, type: 'bogus' })).toBe(true);
    expect(refuses(null)).toBe(true);
    expect(refuses('append')).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['not a string', 7],
    ['missing', undefined],
  ])('refuses a member id that is %s', (_, id) => {
    expect(refuses({ ...append, from: id })).toBe(true);
    expect(refuses({ ...append, to: id })).toBe(true);
  });

  it('counts id length in UTF-8 bytes against idBytesMax', () => {
    expect(refuses({ ...append, from: 'x'.repeat(256) })).toBe(false);
    expect(refuses({ ...append, from: 'x'.repeat(257) })).toBe(true);
    expect(refuses({ ...append, from: 'é'.repeat(128) })).toBe(false);
    expect(refuses({ ...append, from: 'é'.repeat(129) })).toBe(true);
    expect(refuses({ ...append, from: 'abc' }, resolveMessageLimits({ idBytesMax: 2 }))).toBe(true);
  });

  it.each([-1, 0.5, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY, '3', undefined])(
    'refuses term, index or round %s',
    (bad) => {
      expect(refuses({ ...append, term: bad })).toBe(true);
      expect(refuses({ ...append, prevLogIndex: bad })).toBe(true);
      expect(refuses({ ...append, commit: bad })).toBe(true);
      expect(refuses({ type: 'heartbeat', from: 'a', to: 'b', term: 1, commit: 0, round: bad })).toBe(true);
      expect(refuses({ type: 'heartbeatResp', from: 'a', to: 'b', term: 1, round: bad })).toBe(true);
      const resp = {
        type: 'appendResp',
        from: 'a',
        to: 'b',
        term: 1,
        reject: true,
        index: 0,
        hintIndex: 0,
        hintTerm: 0,
      };
      expect(refuses(resp)).toBe(false);
      expect(refuses({ ...resp, index: bad })).toBe(true);
      expect(refuses({ ...resp, hintIndex: bad })).toBe(true);
      expect(refuses({ ...resp, hintTerm: bad })).toBe(true);
      expect(refuses({ ...append, entries: [{ type: 'noop', term: bad, index: 11 }] })).toBe(true);
    },
  );

  it('refuses booleans that are not booleans', () => {
    const vote = {
      type: 'vote',
      from: 'a',
      to: 'b',
      term: 2,
      lastLogIndex: 1,
      lastLogTerm: 1,
      transfer: false,
    };
    expect(refuses(vote)).toBe(false);
    expect(refuses({ ...vote, transfer: 0 })).toBe(true);
    expect(refuses({ type: 'voteResp', from: 'a', to: 'b', term: 2, reject: 'no' })).toBe(true);
  });

  it('refuses a last log term, prev log term or snapshot term above the message term', () => {
    const vote = {
      type: 'preVote',
      from: 'a',
      to: 'b',
      term: 2,
      lastLogIndex: 1,
      lastLogTerm: 3,
      transfer: false,
    };
    expect(refuses(vote)).toBe(true);
    expect(refuses({ ...append, prevLogTerm: 6, entries: [] })).toBe(true);
    expect(refuses({ ...snapshot, term: 7 })).toBe(true);
  });

  it('refuses more entries than entriesMax', () => {
    expect(refuses(append, resolveMessageLimits({ entriesMax: 2 }))).toBe(false);
    expect(refuses(append, resolveMessageLimits({ entriesMax: 1 }))).toBe(true);
  });

  it('refuses entry indexes that are not prevLogIndex+1, +2, …', () => {
    const [first, second] = append.entries;
    expect(refuses({ ...append, entries: [{ ...first, index: 10 }, second] })).toBe(true);
    expect(refuses({ ...append, entries: [first, { ...second, index: 13 }] })).toBe(true);
    expect(refuses({ ...append, entries: [second, first] })).toBe(true);
    expect(refuses({ ...append, entries: [first, first] })).toBe(true);
  });

  it('refuses entry terms above the message term, or decreasing', () => {
    const [first, second] = append.entries;
    expect(refuses({ ...append, entries: [first, { ...second, term: 6 }] })).toBe(true);
    expect(
      refuses({
        ...append,
        entries: [
          { ...first, term: 5 },
          { ...second, term: 4 },
        ],
      }),
    ).toBe(true);
    expect(refuses({ ...append, entries: [{ ...first, term: 3 }, second] })).toBe(true);
  });

  it('refuses command bytes over bytesMax, in one entry or in total', () => {
    const entries: Entry[] = [
      { type: 'command', term: 5, index: 11, data: new Uint8Array(60) },
      { type: 'command', term: 5, index: 12, data: new Uint8Array(60) },
    ];
    expect(refuses({ ...append, entries }, resolveMessageLimits({ bytesMax: 120 }))).toBe(false);
    expect(refuses({ ...append, entries }, resolveMessageLimits({ bytesMax: 119 }))).toBe(true);
    expect(refuses({ ...append, entries: entries.slice(0, 1) }, resolveMessageLimits({ bytesMax: 59 }))).toBe(
      true,
    );
  });

  it('refuses malformed entries', () => {
    const bad = [
      { type: 'bogus', term: 5, index: 11 },
      { type: 'command', term: 5, index: 11, data: [1, 2] },
      { type: 'config', term: 5, index: 11, change: { op: 'bogus', id: 'n4' } },
      { type: 'config', term: 5, index: 11, change: { op: 'addVoter', id: '' } },
      { type: 'config', term: 5, index: 11, change: { op: 'addVoter', id: 'n4', address: '' } },
      { type: 'config', term: 5, index: 11, change: { op: 'addVoter', id: 'n4', address: 'x'.repeat(2049) } },
      { type: 'config', term: 5, index: 11 },
      null,
    ];
    for (const entry of bad)
      expect(refuses({ ...append, entries: [entry] }), JSON.stringify(entry)).toBe(true);
    const good = {
      type: 'config',
      term: 5,
      index: 11,
      change: { op: 'addVoter', id: 'n4', address: 'x'.repeat(2048) },
    };
    expect(refuses({ ...append, entries: [good] })).toBe(false);
  });

  it('refuses a malformed snapshot configuration', () => {
    if (snapshot.type !== 'snapshot') throw new Error('sample');
    const { meta, data } = snapshot.snapshot;
    const withConfig = (config: unknown) => ({ ...snapshot, snapshot: { data, meta: { ...meta, config } } });
    expect(refuses(withConfig({ ...meta.config, voters: ['n1', 'n1'] }))).toBe(true);
    expect(refuses(withConfig({ ...meta.config, voters: ['n1', ''] }))).toBe(true);
    expect(refuses(withConfig({ ...meta.config, learners: 'l1' }))).toBe(true);
    expect(refuses(withConfig({ ...meta.config, addresses: { '': 'ws://x' } }))).toBe(true);
    expect(refuses(withConfig({ ...meta.config, addresses: { n1: 7 } }))).toBe(true);
    expect(refuses(withConfig({ ...meta.config, addresses: null }))).toBe(true);
    const voters = Array.from({ length: 4 }, (_, i) => `n${i}`);
    const limits = resolveMessageLimits({ membersMax: 3 });
    expect(refuses(withConfig({ ...meta.config, voters: voters.slice(0, 3) }), limits)).toBe(false);
    expect(refuses(withConfig({ ...meta.config, voters }), limits)).toBe(true);
    expect(refuses({ ...snapshot, snapshot: { meta, data: 'abc' } })).toBe(true);
    expect(refuses({ ...snapshot, snapshot: { meta, data } }, resolveMessageLimits({ bytesMax: 3 }))).toBe(
      true,
    );
    expect(refuses({ ...snapshot, snapshot: undefined })).toBe(true);
  });

  it('refuses an empty or oversize read request id', () => {
    const read = { type: 'readIndex', from: 'a', to: 'b', term: 1, requestId: 'r1' };
    expect(refuses(read)).toBe(false);
    expect(refuses({ ...read, requestId: '' })).toBe(true);
    expect(refuses({ ...read, requestId: 'r'.repeat(257) })).toBe(true);
    expect(refuses({ ...read, type: 'readIndexResp', index: 0, reject: false, requestId: 1 })).toBe(true);
  });
});
