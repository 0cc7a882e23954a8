import type { Entry } from '../../raft/types.js';
import type { CoordinationMachine } from '../../runtime/coordination-machine.js';
import type { StateMachine } from '../../runtime/state-machine.js';
import type { CoordinationEffect } from '../../state/coordination-commands.js';
import { type KvRegisterMachine, PUT_PREFIX_BYTE } from './kv-register-machine.js';

/** Where each member's applied effects go, entry by entry (AppliedEffects). */
export interface EffectRecorder {
  /** `member` applied the entry at `index` (a command, a no-op or a configuration entry), causing `effects`. */
  applied(member: string, index: number, effects: readonly CoordinationEffect[]): void;
  /** `member` replaced its state with a snapshot's (installed from the leader, or at a restart). */
  restored(member: string): void;
}

/** Bytes of the length prefix of the registers' part of a snapshot. */
const LENGTH_BYTES = 4;

/**
 * The state machine of a RuntimeSim member: the write-path workload's
 * registers (`put` commands, which start with a byte no coordination command
 * starts with) beside the production coordination state machine (every other
 * entry), so one run can drive both workloads through one log. Every entry
 * also goes to the registers, which check that all members apply the same
 * entry at each index. The coordination machine's effects are collected per
 * entry and handed to `recorder` with the entry's index — no-ops and
 * refusals too, with no effects — so members can be compared entry by entry.
 * A put answers its index (as CountingStateMachine did); every other command
 * answers what the coordination state answered.
 */
export class RoutedMachine implements StateMachine {
  private readonly pending: CoordinationEffect[] = [];

  constructor(
    private readonly member: string,
    readonly kv: KvRegisterMachine,
    readonly coordination: CoordinationMachine,
    private readonly recorder: EffectRecorder,
  ) {
    coordination.onEffect((effect) => this.pending.push(effect));
  }

  /** The registers' first broken rule (applied twice, two entries at one index). */
  get violation(): string | undefined {
    return this.kv.violation;
  }

  apply(entry: Entry): unknown {
    this.kv.apply(entry);
    if (entry.type === 'command' && entry.data[0] === PUT_PREFIX_BYTE) return entry.index;
    const result = this.coordination.apply(entry);
    // The listener above ran synchronously inside apply: these are exactly this entry's effects.
    const effects = this.pending.splice(0);
    this.recorder.applied(this.member, entry.index, effects);
    return result;
  }

  snapshot(): Uint8Array {
    const kv = this.kv.snapshot();
    const coordination = this.coordination.snapshot();
    const bytes = new Uint8Array(LENGTH_BYTES + kv.byteLength + coordination.byteLength);
    new DataView(bytes.buffer).setUint32(0, kv.byteLength, true);
    bytes.set(kv, LENGTH_BYTES);
    bytes.set(coordination, LENGTH_BYTES + kv.byteLength);
    return bytes;
  }

  restore(data: Uint8Array): void {
    const kvBytes = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, true);
    this.kv.restore(data.subarray(LENGTH_BYTES, LENGTH_BYTES + kvBytes));
    this.pending.length = 0;
    this.coordination.restore(data.subarray(LENGTH_BYTES + kvBytes));
    this.recorder.restored(this.member);
  }
}
