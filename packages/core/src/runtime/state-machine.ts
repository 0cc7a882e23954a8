import type { Entry } from '../raft/types.js';

/**
 * The replicated state machine the runtime applies committed entries to.
 * It must be deterministic: every member applies the same entries in the
 * same order and must reach the same state and results.
 */
export interface StateMachine {
  /** Applies one committed entry (commands, and also no-ops and config entries, which may be ignored). */
  apply(entry: Entry): unknown;
  /** Serializes the whole state (for a snapshot at the last applied index). */
  snapshot(): Uint8Array;
  /** Replaces the whole state with a snapshot's. */
  restore(data: Uint8Array): void;
}

/**
 * A state machine that only counts what it applied. It is what a Cluster
 * runs until the coordination state machine (leases, locks, elections) is
 * plugged in, and what runtime tests use.
 */
export class CountingStateMachine implements StateMachine {
  commands = 0;
  lastIndex = 0;

  apply(entry: Entry): unknown {
    this.lastIndex = entry.index;
    if (entry.type === 'command') this.commands++;
    return entry.index;
  }

  snapshot(): Uint8Array {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setFloat64(0, this.commands, true);
    view.setFloat64(8, this.lastIndex, true);
    return bytes;
  }

  restore(data: Uint8Array): void {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.commands = data.byteLength >= 16 ? view.getFloat64(0, true) : 0;
    this.lastIndex = data.byteLength >= 16 ? view.getFloat64(8, true) : 0;
  }
}
