import type { Entry } from '../../packages/core/src/raft/types.js';
import type { StateMachine } from '../../packages/core/src/runtime/state-machine.js';
import type { AppliedCommand } from './member-protocol.js';

/** More applied commands than any test proposes; past it the member fails loudly instead of growing. */
export const RECORDED_COMMANDS_MAX = 100_000;

/**
 * A state machine that remembers every command it applied as (index, tag),
 * the tag being the command's bytes as UTF-8. Tests compare these lists
 * between members: state machine safety means they are equal.
 */
export class RecordingStateMachine implements StateMachine {
  private readonly recorded: AppliedCommand[] = [];
  private lastIndexApplied = 0;
  private readonly listeners = new Set<(index: number) => void>();

  /** The commands applied so far, in apply order. */
  get applied(): readonly AppliedCommand[] {
    return this.recorded;
  }

  /** The index of the last entry applied (commands, no-ops and config entries alike). */
  get lastIndex(): number {
    return this.lastIndexApplied;
  }

  /** Calls `listener` after every applied entry with its index; returns the unsubscribe function. */
  onApplied(listener: (index: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  apply(entry: Entry): unknown {
    if (entry.type === 'command') {
      if (this.recorded.length >= RECORDED_COMMANDS_MAX) {
        throw new RangeError(`more than ${RECORDED_COMMANDS_MAX} commands applied`);
      }
      this.recorded.push([entry.index, new TextDecoder().decode(entry.data)]);
    }
    this.lastIndexApplied = entry.index;
    for (const listener of this.listeners) listener(entry.index);
    return entry.index;
  }

  snapshot(): Uint8Array {
    return new TextEncoder().encode(
      JSON.stringify({ lastIndex: this.lastIndexApplied, applied: this.recorded }),
    );
  }

  restore(data: Uint8Array): void {
    const state = JSON.parse(new TextDecoder().decode(data)) as {
      lastIndex: number;
      applied: AppliedCommand[];
    };
    this.recorded.splice(0, this.recorded.length, ...state.applied);
    this.lastIndexApplied = state.lastIndex;
    for (const listener of this.listeners) listener(state.lastIndex);
  }
}
