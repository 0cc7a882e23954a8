import type { Entry, LogIndex, Snapshot, Term } from '../raft/types.js';
import type { AppliedRecord } from './apply-checker.js';
import { payloadKey } from './entry-key.js';
import { Fingerprint } from './hash.js';
import { InvariantViolation } from './invariant-violation.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The tiny deterministic state machine each simulated member runs: its state
 * is a fingerprint of every entry applied so far, in order, so two members
 * with the same fingerprint at an index applied the same history. It keeps
 * the records applied since its last snapshot (at most `recordsMax`).
 */
export class SimStateMachine {
  private index: LogIndex;
  private term: Term;
  private fingerprint: Fingerprint;
  private readonly records: AppliedRecord[] = [];
  readonly recordsMax: number;

  private constructor(index: LogIndex, term: Term, fingerprint: Fingerprint, recordsMax: number) {
    this.index = index;
    this.term = term;
    this.fingerprint = fingerprint;
    this.recordsMax = recordsMax;
  }

  /** An empty state machine, or the state a snapshot captured. */
  static restore(snapshot: Snapshot | undefined, recordsMax = 4096): SimStateMachine {
    if (snapshot === undefined) return new SimStateMachine(0, 0, new Fingerprint(), recordsMax);
    const state = decodeState(snapshot.data);
    if (state.index !== snapshot.meta.index) {
      throw new InvariantViolation(
        'state-machine-safety',
        `snapshot meta index ${snapshot.meta.index} but its state is at ${state.index}`,
      );
    }
    return new SimStateMachine(state.index, state.term, state.fingerprint, recordsMax);
  }

  get appliedIndex(): LogIndex {
    return this.index;
  }

  get appliedTerm(): Term {
    return this.term;
  }

  /** Fingerprint of the state after `appliedIndex`. */
  get stateHash(): string {
    return this.fingerprint.hex();
  }

  /** Entries applied since the last snapshot or restore, oldest first. */
  get applied(): readonly AppliedRecord[] {
    return this.records;
  }

  /** Applies the next entry; entries must come in index order without gaps. */
  apply(entry: Entry): AppliedRecord {
    if (entry.index !== this.index + 1) {
      throw new InvariantViolation(
        'state-machine-safety',
        `applied index ${entry.index} after ${this.index}`,
      );
    }
    const key = payloadKey(entry);
    this.fingerprint.add(`${entry.index}|${entry.term}|${key}`);
    this.index = entry.index;
    this.term = entry.term;
    const record: AppliedRecord = {
      index: entry.index,
      term: entry.term,
      key,
      stateHash: this.fingerprint.hex(),
    };
    if (this.records.length >= this.recordsMax) this.records.shift();
    this.records.push(record);
    return record;
  }

  /** The serialized state at `appliedIndex` (the data of a snapshot taken now); forgets the applied records. */
  takeSnapshotData(): Uint8Array {
    this.records.length = 0;
    return encoder.encode(JSON.stringify({ i: this.index, t: this.term, h: this.fingerprint.hex() }));
  }
}

function decodeState(data: Uint8Array): { index: LogIndex; term: Term; fingerprint: Fingerprint } {
  const parsed = JSON.parse(decoder.decode(data)) as { i: number; t: number; h: string };
  const a = Number.parseInt(parsed.h.slice(0, 8), 16);
  const b = Number.parseInt(parsed.h.slice(8, 16), 16);
  return { index: parsed.i, term: parsed.t, fingerprint: new Fingerprint(a, b) };
}
