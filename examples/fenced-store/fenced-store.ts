/**
 * The resource a lock protects, made safe by fencing tokens: a tiny
 * key-value store that remembers, per key, the highest fencing token it has
 * seen and refuses any read or write carrying a lower one. A lock holder
 * that was paused (a GC pause, a swapped-out VM, a slow network) and lost
 * its lock meanwhile comes back with an old token: the store says no, even
 * though the holder itself still believes it holds the lock.
 *
 * Reads are fenced too: a read with token t raises the mark to t, so a
 * stale holder cannot read a value it is about to overwrite once a newer
 * holder has started — and a value read under an old token is never
 * written back.
 */

/** A read or write refused because a newer lock holder has used the store. */
export class StaleFenceError extends Error {
  readonly code = 'STALE_FENCE';
  constructor(
    readonly key: string,
    readonly fence: number,
    readonly highest: number,
  ) {
    super(`${key}: fencing token ${fence} is older than ${highest}, which this store has seen`);
  }
}

/** One write the store accepted, for the narration. */
export interface AcceptedWrite {
  readonly key: string;
  readonly from: number;
  readonly to: number;
  readonly fence: number;
  /** The write came with a token lower than one seen before (only possible unfenced). */
  readonly stale: boolean;
}

export interface FencedStoreOptions {
  /** false turns the check off, to show what goes wrong without it (default true). */
  readonly fenced?: boolean;
  readonly onRefused?: (error: StaleFenceError, op: 'read' | 'write') => void;
  readonly onWrite?: (write: AcceptedWrite) => void;
}

/** Numbers by key, in memory, each read and write checked against the key's highest fencing token. */
export class FencedStore {
  private readonly values = new Map<string, number>();
  private readonly highest = new Map<string, number>();

  constructor(private readonly options: FencedStoreOptions = {}) {}

  get fenced(): boolean {
    return this.options.fenced ?? true;
  }

  /** The value now, without a token: for reports, never to compute a write from. */
  peek(key: string): number {
    return this.values.get(key) ?? 0;
  }

  read(key: string, fence: number): number {
    this.admit(key, fence, 'read');
    return this.values.get(key) ?? 0;
  }

  write(key: string, value: number, fence: number): void {
    const stale = this.admit(key, fence, 'write');
    const from = this.values.get(key) ?? 0;
    this.values.set(key, value);
    this.options.onWrite?.({ key, from, to: value, fence, stale });
  }

  /** Refuses a token lower than the highest seen (when fenced); returns whether it was lower. */
  private admit(key: string, fence: number, op: 'read' | 'write'): boolean {
    const highest = this.highest.get(key) ?? 0;
    if (fence < highest) {
      const error = new StaleFenceError(key, fence, highest);
      if (this.fenced) {
        this.options.onRefused?.(error, op);
        throw error;
      }
      return true;
    }
    this.highest.set(key, fence);
    return false;
  }
}
