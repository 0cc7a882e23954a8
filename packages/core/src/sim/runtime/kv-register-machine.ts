import type { Entry, LogIndex, Term } from '../../raft/types.js';
import type { StateMachine } from '../../runtime/state-machine.js';

const PUT_PREFIX = 'put\u0000';
/**
 * The first byte of every put command ('p'): a coordination command starts
 * with its format version (1), so RoutedMachine can tell the two apart.
 */
export const PUT_PREFIX_BYTE = 0x70;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The command that sets `key` to `value` in KvRegisterMachine. */
export function encodePut(key: string, value: string): Uint8Array {
  return encoder.encode(`${PUT_PREFIX}${key}\u0000${value}`);
}

/** The (key, value) of a put command, or undefined for anything else (other tests propose raw bytes). */
export function decodePut(data: Uint8Array): { key: string; value: string } | undefined {
  const text = decoder.decode(data);
  if (!text.startsWith(PUT_PREFIX)) return undefined;
  const rest = text.slice(PUT_PREFIX.length);
  const cut = rest.indexOf('\u0000');
  return cut < 0 ? undefined : { key: rest.slice(0, cut), value: rest.slice(cut + 1) };
}

/**
 * Which entry (its term) any member applied at each index, shared by every
 * member of one simulation: two members applying different entries at one
 * index break state machine safety.
 */
export type AppliedTerms = Map<LogIndex, Term>;

/**
 * The key-value registers the runtime simulator's write-path workload runs
 * against: `put key value` commands, read locally after a ReadIndex. Values
 * are unique, so it also remembers every value it ever applied (kept in
 * snapshots) and notes a violation when one is applied twice — a command
 * carried out twice, e.g. a retry after a lost answer — or when this member
 * applies a different entry at an index than another member did.
 */
export class KvRegisterMachine implements StateMachine {
  /** The first broken rule, with the index it broke at. */
  violation: string | undefined;
  private values = new Map<string, string>();
  private applied = new Set<string>();

  constructor(private readonly appliedTerms: AppliedTerms) {}

  /** The register's value here now (null: never written). */
  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }

  /** Has this member applied a put of `value` (now or before a snapshot it holds)? */
  hasApplied(value: string): boolean {
    return this.applied.has(value);
  }

  apply(entry: Entry): unknown {
    const term = this.appliedTerms.get(entry.index);
    if (term === undefined) this.appliedTerms.set(entry.index, entry.term);
    else if (term !== entry.term) {
      this.violation ??= `applied an entry of term ${entry.term} at index ${entry.index}, where another member applied one of term ${term}`;
    }
    if (entry.type !== 'command') return undefined;
    const put = decodePut(entry.data);
    if (!put) return undefined;
    if (this.applied.has(put.value)) {
      this.violation ??= `applied put ${put.key}=${put.value} twice (again at index ${entry.index})`;
    }
    this.applied.add(put.value);
    this.values.set(put.key, put.value);
    return undefined;
  }

  snapshot(): Uint8Array {
    return encoder.encode(JSON.stringify({ values: [...this.values], applied: [...this.applied] }));
  }

  restore(data: Uint8Array): void {
    const state = JSON.parse(decoder.decode(data)) as { values: [string, string][]; applied: string[] };
    this.values = new Map(state.values);
    this.applied = new Set(state.applied);
  }
}
