import type { Entry } from '../../raft/types.js';
import { CountingStateMachine, type StateMachine } from '../../runtime/state-machine.js';
import type { DurableLogView } from './durable-log-view.js';

/** Bytes of CountingStateMachine's snapshot, which comes first in ours. */
const COUNTING_SNAPSHOT_BYTES = 16;

/** A state machine that may note a broken rule of its own (KvRegisterMachine). */
export interface CheckedStateMachine extends StateMachine {
  readonly violation: string | undefined;
}

/**
 * The state machine RuntimeSim gives each member: it counts like
 * CountingStateMachine and notes the first entry applied before the member's
 * disk held it durably (docs/design.md, Runtime: "a member never applies an
 * entry it does not hold durably" — a crash right after would lose an entry
 * whose effects this member already showed). An `inner` machine (the
 * workloads' state: RoutedMachine) sees every entry too, answers it, and
 * shares the snapshot; its violations are reported as this one's.
 */
export class DurableApplyCheck extends CountingStateMachine {
  private ownViolation: string | undefined;

  constructor(
    private readonly durableLog: DurableLogView,
    private readonly inner?: CheckedStateMachine,
  ) {
    super();
  }

  /** Set at the first entry applied while not durable, or the inner machine's first violation. */
  get violation(): string | undefined {
    return this.ownViolation ?? this.inner?.violation;
  }

  override apply(entry: Entry): unknown {
    if (this.ownViolation === undefined && !this.durableLog.holds(entry.index, entry.term)) {
      this.ownViolation = `applied entry ${entry.index} (term ${entry.term}) before its disk held it`;
    }
    const counted = super.apply(entry);
    // The inner machine answers commands when there is one (the coordination state's results).
    return this.inner ? this.inner.apply(entry) : counted;
  }

  override snapshot(): Uint8Array {
    const own = super.snapshot();
    if (!this.inner) return own;
    const inner = this.inner.snapshot();
    const bytes = new Uint8Array(own.byteLength + inner.byteLength);
    bytes.set(own, 0);
    bytes.set(inner, own.byteLength);
    return bytes;
  }

  override restore(data: Uint8Array): void {
    super.restore(data.subarray(0, COUNTING_SNAPSHOT_BYTES));
    if (this.inner) this.inner.restore(data.subarray(COUNTING_SNAPSHOT_BYTES));
  }
}
