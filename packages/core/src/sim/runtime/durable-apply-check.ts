import type { Entry } from '../../raft/types.js';
import { CountingStateMachine } from '../../runtime/state-machine.js';
import type { DurableLogView } from './durable-log-view.js';

/**
 * The state machine RuntimeSim gives each member: it counts like
 * CountingStateMachine and notes the first entry applied before the member's
 * disk held it durably (docs/design.md, Runtime: "a member never applies an
 * entry it does not hold durably" — a crash right after would lose an entry
 * whose effects this member already showed).
 */
export class DurableApplyCheck extends CountingStateMachine {
  /** Set at the first entry applied while not durable. */
  violation: string | undefined;

  constructor(private readonly durableLog: DurableLogView) {
    super();
  }

  override apply(entry: Entry): unknown {
    if (this.violation === undefined && !this.durableLog.holds(entry.index, entry.term)) {
      this.violation = `applied entry ${entry.index} (term ${entry.term}) before its disk held it`;
    }
    return super.apply(entry);
  }
}
