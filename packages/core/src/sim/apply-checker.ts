import type { LogIndex, MemberId, Term } from '../raft/types.js';
import { InvariantViolation } from './invariant-violation.js';

/** One entry as a member's state machine applied it, with the state fingerprint right after. */
export interface AppliedRecord {
  readonly index: LogIndex;
  readonly term: Term;
  /** The entry's payload key (see entry-key.ts). */
  readonly key: string;
  /** Fingerprint of the state machine after applying this entry. */
  readonly stateHash: string;
}

/**
 * Checks what state machines do: no two members apply different entries (or
 * reach different states) at the same index, an acknowledged proposal is what
 * every member applies at its index, and a read index covers every write
 * acknowledged before the read was asked for.
 */
export class ApplyChecker {
  private readonly applied = new Map<LogIndex, { termKey: string; stateHash: string; by: MemberId }>();
  private readonly acked = new Map<LogIndex, string>();
  private ackedMax: LogIndex = 0;
  private readonly reads = new Map<string, LogIndex>();
  readonly readsPendingMax: number;
  /** How many read indexes were checked against the acknowledged writes. */
  readsChecked = 0;

  constructor(readsPendingMax = 10_000) {
    this.readsPendingMax = readsPendingMax;
  }

  /** The highest index of an acknowledged proposal. */
  get highestAcked(): LogIndex {
    return this.ackedMax;
  }

  /** How many proposals were acknowledged so far. */
  get ackedCount(): number {
    return this.acked.size;
  }

  /** What was applied at `index` (`term|key`, or `?|` when only a snapshot's state is known). */
  appliedAt(index: LogIndex): { readonly termKey: string; readonly stateHash: string } | undefined {
    return this.applied.get(index);
  }

  /** A member applied `record`. */
  onApply(member: MemberId, record: AppliedRecord): void {
    const termKey = `${record.term}|${record.key}`;
    const known = this.applied.get(record.index);
    if (known === undefined) {
      this.applied.set(record.index, { termKey, stateHash: record.stateHash, by: member });
    } else if (known.termKey !== termKey || known.stateHash !== record.stateHash) {
      throw new InvariantViolation(
        'state-machine-safety',
        `${member} applied ${termKey} at ${record.index} (state ${record.stateHash}), ` +
          `${known.by} applied ${known.termKey} (state ${known.stateHash})`,
      );
    }
    const ack = this.acked.get(record.index);
    if (ack !== undefined && ack !== record.key) {
      throw new InvariantViolation(
        'acked-proposal-lost',
        `${member} applied ${record.key} at ${record.index}, acked ${ack}`,
      );
    }
  }

  /** A member replaced its state machine with a snapshot of the state after `index`. */
  onRestore(member: MemberId, index: LogIndex, stateHash: string): void {
    if (index === 0) return;
    const known = this.applied.get(index);
    if (known === undefined) {
      this.applied.set(index, { termKey: '?', stateHash, by: member });
    } else if (known.stateHash !== stateHash) {
      throw new InvariantViolation(
        'state-machine-safety',
        `${member} restored state ${stateHash} at ${index}, ${known.by} had ${known.stateHash}`,
      );
    }
  }

  /** The client saw its proposal `key` committed and applied at `index` on the member it proposed to. */
  onAck(index: LogIndex, key: string): void {
    const known = this.applied.get(index);
    if (known !== undefined && known.termKey !== '?' && !known.termKey.endsWith(`|${key}`)) {
      throw new InvariantViolation(
        'acked-proposal-lost',
        `acked ${key} at ${index}, ${known.by} applied ${known.termKey}`,
      );
    }
    this.acked.set(index, key);
    if (index > this.ackedMax) this.ackedMax = index;
  }

  /** A linearizable read `requestId` was asked for now: it must see every write acknowledged so far. */
  onReadRequested(requestId: string): void {
    if (this.reads.size >= this.readsPendingMax) {
      // Forget the oldest pending read; it can no longer be checked, which is safe.
      const oldest = this.reads.keys().next().value as string;
      this.reads.delete(oldest);
    }
    this.reads.set(requestId, this.ackedMax);
  }

  /** The core answered read `requestId` with `index`. */
  onReadIndex(member: MemberId, requestId: string, index: LogIndex): void {
    const needed = this.reads.get(requestId);
    if (needed === undefined) return;
    this.reads.delete(requestId);
    this.readsChecked++;
    if (index < needed) {
      throw new InvariantViolation(
        'read-linearizability',
        `${member} answered read ${requestId} with index ${index}, but ${needed} was acked before it`,
      );
    }
  }

  /** The core refused read `requestId`; nothing to check, forget it. */
  onReadFailed(requestId: string): void {
    this.reads.delete(requestId);
  }
}
