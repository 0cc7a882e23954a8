import { describe, expect, it } from 'vitest';
import type { Entry, Role } from '../../src/raft/types.js';
import { SafetyCheckers } from '../../src/sim/checkers.js';
import type { InvariantName } from '../../src/sim/invariant-violation.js';
import type { MemberView } from '../../src/sim/member-view.js';

const enc = new TextEncoder();

function cmd(index: number, term: number, text: string): Entry {
  return { type: 'command', index, term, data: enc.encode(text) };
}

function noop(index: number, term: number): Entry {
  return { type: 'noop', index, term };
}

function view(id: string, over: Partial<MemberView> & { entries: readonly Entry[] }): MemberView {
  return {
    id,
    up: true,
    role: 'follower' as Role,
    term: 1,
    commitIndex: 0,
    snapshotIndex: 0,
    snapshotTerm: 0,
    leaseUntilUs: Number.NEGATIVE_INFINITY,
    ...over,
  };
}

function violation(fn: () => void): InvariantName | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { invariant?: InvariantName }).invariant;
  }
  return undefined;
}

describe('SafetyCheckers: election safety', () => {
  it('accepts one leader per term, even the same member seen again', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { role: 'leader', term: 1, entries: [noop(1, 1)] }), 0);
    c.observe(view('n1', { role: 'leader', term: 1, entries: [noop(1, 1)] }), 1);
    c.observe(view('n2', { role: 'leader', term: 2, entries: [noop(1, 1), noop(2, 2)] }), 2);
  });

  it('flags two leaders of the same term', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { role: 'leader', term: 3, entries: [] }), 0);
    expect(violation(() => c.observe(view('n2', { role: 'leader', term: 3, entries: [] }), 1))).toBe(
      'election-safety',
    );
  });

  it('ignores a crashed member that still looks like a leader', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { role: 'leader', term: 3, entries: [] }), 0);
    c.observe(view('n2', { up: false, role: 'leader', term: 3, entries: [] }), 1);
  });
});

describe('SafetyCheckers: log matching', () => {
  it('flags the same index and term holding different payloads', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [cmd(1, 1, 'a')] }), 0);
    expect(violation(() => c.observe(view('n2', { entries: [cmd(1, 1, 'b')] }), 1))).toBe('log-matching');
  });

  it('flags equal (index, term) entries with different predecessors', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [cmd(1, 1, 'a'), cmd(2, 3, 'x')] }), 0);
    expect(violation(() => c.observe(view('n2', { entries: [cmd(1, 2, 'b'), cmd(2, 3, 'x')] }), 1))).toBe(
      'log-matching',
    );
  });

  it('flags a gap in indexes and a term going back', () => {
    const c = new SafetyCheckers();
    expect(violation(() => c.observe(view('n1', { entries: [noop(1, 1), noop(3, 1)] }), 0))).toBe(
      'log-matching',
    );
    expect(violation(() => c.observe(view('n2', { entries: [noop(1, 2), noop(2, 1)] }), 0))).toBe(
      'log-matching',
    );
  });

  it('accepts divergent uncommitted suffixes of different terms', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [noop(1, 1), cmd(2, 1, 'a')], commitIndex: 1 }), 0);
    c.observe(view('n2', { entries: [noop(1, 1), cmd(2, 2, 'b')], commitIndex: 1 }), 1);
  });

  it('checks the first entry after a snapshot against its snapshot term', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [noop(1, 1), noop(2, 2), cmd(3, 2, 'a')] }), 0);
    c.observe(view('n2', { snapshotIndex: 2, snapshotTerm: 2, entries: [cmd(3, 2, 'a')] }), 1);
    expect(
      violation(() =>
        c.observe(view('n3', { snapshotIndex: 2, snapshotTerm: 1, entries: [cmd(3, 2, 'a')] }), 2),
      ),
    ).toBe('log-matching');
  });
});

describe('SafetyCheckers: committed entries', () => {
  it('flags a committed entry that changes, on the same member or another', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [cmd(1, 1, 'a')], commitIndex: 1 }), 0);
    expect(violation(() => c.observe(view('n1', { entries: [cmd(1, 2, 'b')], commitIndex: 1 }), 1))).toBe(
      'committed-entry-stable',
    );
  });

  it('flags a commit index beyond the log', () => {
    const c = new SafetyCheckers();
    expect(violation(() => c.observe(view('n1', { entries: [noop(1, 1)], commitIndex: 2 }), 0))).toBe(
      'committed-entry-stable',
    );
  });

  it('flags a snapshot whose term differs from the committed entry at its index', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [noop(1, 1), noop(2, 1)], commitIndex: 2 }), 0);
    expect(
      violation(() => c.observe(view('n2', { snapshotIndex: 2, snapshotTerm: 2, entries: [] }), 1)),
    ).toBe('committed-entry-stable');
  });
});

describe('SafetyCheckers: leader completeness', () => {
  it('flags a new leader that lacks an entry committed in an earlier term', () => {
    const c = new SafetyCheckers();
    const log = [noop(1, 1), cmd(2, 1, 'a')];
    c.observe(view('n1', { role: 'leader', term: 1, entries: log, commitIndex: 2 }), 0);
    // n2 missed entry 2 and yet becomes leader of term 2: an unsafe vote somewhere.
    expect(
      violation(() => c.observe(view('n2', { role: 'leader', term: 2, entries: [noop(1, 1)] }), 1)),
    ).toBe('leader-completeness');
  });

  it('does not require entries committed in a later term than the new leader (a stale, delayed election)', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { role: 'leader', term: 5, entries: [noop(1, 5)], commitIndex: 1 }), 0);
    c.observe(view('n2', { role: 'leader', term: 4, entries: [] }), 1);
  });

  it('accepts a leader whose snapshot covers the committed entries', () => {
    const c = new SafetyCheckers();
    c.observe(
      view('n1', { role: 'leader', term: 1, entries: [noop(1, 1), cmd(2, 1, 'a')], commitIndex: 2 }),
      0,
    );
    c.observe(view('n2', { role: 'leader', term: 2, snapshotIndex: 2, snapshotTerm: 1, entries: [] }), 1);
  });
});

describe('SafetyCheckers: state machines', () => {
  it('flags two members applying different entries at one index', () => {
    const c = new SafetyCheckers();
    c.onApply('n1', { index: 1, term: 1, key: 'cmd:a', stateHash: 'h1' });
    c.onApply('n2', { index: 1, term: 1, key: 'cmd:a', stateHash: 'h1' });
    expect(violation(() => c.onApply('n3', { index: 1, term: 1, key: 'cmd:b', stateHash: 'h2' }))).toBe(
      'state-machine-safety',
    );
  });

  it('flags applying an entry other than the committed one', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [cmd(1, 1, 'a')], commitIndex: 1 }), 0);
    expect(violation(() => c.onApply('n2', { index: 1, term: 1, key: 'cmd:b', stateHash: 'h' }))).toBe(
      'state-machine-safety',
    );
  });

  it('flags a restored snapshot whose state differs from what was applied there', () => {
    const c = new SafetyCheckers();
    c.onApply('n1', { index: 4, term: 1, key: 'cmd:a', stateHash: 'good' });
    c.onRestore('n2', 4, 'good');
    expect(violation(() => c.onRestore('n3', 4, 'bad'))).toBe('state-machine-safety');
  });

  it('flags an acknowledged proposal that a member applies differently', () => {
    const c = new SafetyCheckers();
    c.onAck(7, 'cmd:x');
    expect(violation(() => c.onApply('n2', { index: 7, term: 2, key: 'cmd:y', stateHash: 'h' }))).toBe(
      'acked-proposal-lost',
    );
  });

  it('flags a read index below a write acknowledged before the read', () => {
    const c = new SafetyCheckers();
    c.onAck(5, 'cmd:x');
    c.apply.onReadRequested('r1');
    c.apply.onReadRequested('r2');
    c.apply.onReadIndex('n1', 'r1', 5);
    expect(violation(() => c.apply.onReadIndex('n1', 'r2', 4))).toBe('read-linearizability');
  });
});

describe('SafetyCheckers: lease exclusion', () => {
  it('accepts leases that follow each other', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [], leaseUntilUs: 100 }), 10);
    c.observe(view('n1', { entries: [], leaseUntilUs: 150 }), 60);
    c.observe(view('n2', { entries: [], leaseUntilUs: 300 }), 150);
  });

  it('flags a lease that starts while the previous holder’s has not ended', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [], leaseUntilUs: 100 }), 10);
    expect(violation(() => c.observe(view('n2', { entries: [], leaseUntilUs: 300 }), 99))).toBe(
      'lease-exclusion',
    );
  });

  it('ends a lease early when its holder crashes or revokes it', () => {
    const c = new SafetyCheckers();
    c.observe(view('n1', { entries: [], leaseUntilUs: 100 }), 10);
    c.observe(view('n1', { up: false, entries: [], leaseUntilUs: 100 }), 20);
    c.observe(view('n2', { entries: [], leaseUntilUs: 300 }), 21);
    c.observe(view('n2', { entries: [], leaseUntilUs: Number.NEGATIVE_INFINITY }), 30);
    c.observe(view('n3', { entries: [], leaseUntilUs: 400 }), 31);
  });
});
