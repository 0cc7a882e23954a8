import type { MemberId } from '../raft/types.js';
import { InvariantViolation } from './invariant-violation.js';

/**
 * Checks that at most one member is inside a valid leader lease at any global
 * instant. Leases only start or grow at events, so it is enough to compare,
 * whenever a member is seen holding a lease, against the end of the last
 * holder's lease as last seen: a lease reaching past the instant another
 * member holds one is an overlap, even if no event fell inside it.
 */
export class LeaseChecker {
  private holder: MemberId | undefined;
  private holderEndUs = Number.NEGATIVE_INFINITY;

  /** The member holding a lease now, if any (as of the last observation). */
  holderAt(nowUs: number): MemberId | undefined {
    return this.holderEndUs > nowUs ? this.holder : undefined;
  }

  /**
   * `member` holds a lease until `leaseUntilUs` (global µs; -Infinity for none,
   * and a crashed member holds none). Called for each member an event touched.
   */
  observe(member: MemberId, leaseUntilUs: number, nowUs: number): void {
    if (leaseUntilUs > nowUs) {
      if (this.holder !== undefined && this.holder !== member && this.holderEndUs > nowUs) {
        throw new InvariantViolation(
          'lease-exclusion',
          `${member} holds a lease until ${leaseUntilUs.toFixed(0)}us while ${this.holder}'s ` +
            `runs until ${this.holderEndUs.toFixed(0)}us (now ${nowUs}us)`,
        );
      }
      this.holder = member;
      this.holderEndUs = leaseUntilUs;
    } else if (this.holder === member) {
      // Expired, revoked or crashed: whatever the old deadline said, it ends now at the latest.
      this.holderEndUs = Math.min(this.holderEndUs, nowUs);
    }
  }
}
