import type { LogIndex, MemberId } from '../raft/types.js';
import { type AppliedRecord, ApplyChecker } from './apply-checker.js';
import { InvariantViolation } from './invariant-violation.js';
import { LeaseChecker } from './lease-checker.js';
import { LogChecker } from './log-checker.js';
import type { MemberView } from './member-view.js';

/**
 * Every invariant the simulator checks, behind one object. The simulator
 * calls `observe` for each member an event touched, right after the event,
 * and the `on…` hooks as state machines apply, restore and acknowledge.
 * A violation throws an InvariantViolation naming the invariant.
 */
export class SafetyCheckers {
  readonly log: LogChecker = new LogChecker();
  readonly apply: ApplyChecker = new ApplyChecker();
  readonly lease: LeaseChecker = new LeaseChecker();

  /** Checks a member after an event that may have changed it (its log, role, commit or lease). */
  observe(view: MemberView, nowUs: number): void {
    this.log.observe(view);
    this.lease.observe(view.id, view.up ? view.leaseUntilUs : Number.NEGATIVE_INFINITY, nowUs);
  }

  /** A member's state machine applied an entry; it must be the committed entry at that index. */
  onApply(member: MemberId, record: AppliedRecord): void {
    const committed = this.log.committedAt(record.index);
    if (committed !== undefined && committed.key !== `${record.term}|${record.key}`) {
      throw new InvariantViolation(
        'state-machine-safety',
        `${member} applied ${record.term}|${record.key} at ${record.index}, committed was ${committed.key}`,
      );
    }
    this.apply.onApply(member, record);
  }

  /** A member's state machine was replaced by a snapshot of the state after `index`. */
  onRestore(member: MemberId, index: LogIndex, stateHash: string): void {
    this.apply.onRestore(member, index, stateHash);
  }

  /** The client saw its proposal committed and applied at `index`. */
  onAck(index: LogIndex, key: string): void {
    this.apply.onAck(index, key);
  }
}

export type { AppliedRecord } from './apply-checker.js';
