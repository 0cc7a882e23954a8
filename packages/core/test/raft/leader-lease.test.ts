import { describe, expect, it } from 'vitest';
import { LeaderLease } from '../../src/raft/leader-lease.js';
import type { RaftStatus } from '../../src/raft/raw-node.js';
import type { Ready } from '../../src/raft/ready.js';
import type { Role } from '../../src/raft/types.js';

function ready(heartbeatRound?: number): Ready {
  return {
    softState: undefined,
    hardState: undefined,
    snapshot: undefined,
    entries: [],
    messages: [],
    committedEntries: [],
    readStates: [],
    readFailures: [],
    heartbeatRound,
    mustSync: false,
  };
}

function status(role: Role, term: number, leaseRound: number): RaftStatus {
  return {
    id: 'n1',
    role,
    term,
    vote: 'n1',
    leaderId: role === 'leader' ? 'n1' : undefined,
    commitIndex: 0,
    appliedIndex: 0,
    lastIndex: 0,
    snapshotIndex: 0,
    config: { voters: ['n1', 'n2', 'n3'], learners: [], addresses: {} },
    leaseRound,
    leadTransferee: undefined,
    lostEntries: undefined,
  };
}

describe('LeaderLease', () => {
  it('§6.4 (dissertation) the lease runs from the time the acknowledged round was taken for sending', () => {
    const lease = new LeaderLease({ leaseMs: 900 });
    lease.onReady(ready(1), status('leader', 3, 0), 1000);
    expect(lease.validUntil(status('leader', 3, 0))).toBe(-Infinity);
    lease.onReady(ready(2), status('leader', 3, 0), 1100);
    lease.onReady(ready(), status('leader', 3, 1), 1150);
    expect(lease.validUntil(status('leader', 3, 1))).toBe(1900);
    lease.onReady(ready(), status('leader', 3, 2), 1300);
    expect(lease.validUntil(status('leader', 3, 2))).toBe(2000);
  });

  it('§6.4 (dissertation) no lease for a follower, another term, or a round never seen taken', () => {
    const lease = new LeaderLease({ leaseMs: 900 });
    lease.onReady(ready(1), status('leader', 3, 0), 1000);
    expect(lease.validUntil(status('follower', 3, 1))).toBe(-Infinity);
    expect(lease.validUntil(status('leader', 4, 1))).toBe(-Infinity);
    expect(lease.validUntil(status('leader', 3, 7))).toBe(-Infinity);
    // Losing leadership forgets the rounds: the same round number of a later term is not reused.
    lease.onReady(ready(), status('follower', 4, 0), 1200);
    lease.onReady(ready(), status('leader', 3, 1), 1300);
    expect(lease.validUntil(status('leader', 3, 1))).toBe(-Infinity);
    expect(() => new LeaderLease({ leaseMs: -1 })).toThrow(RangeError);
  });
});
