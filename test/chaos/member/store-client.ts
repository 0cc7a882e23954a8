import { emit } from './emit.js';

export type StoreAnswer =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly refusal: 'stale' | 'conflict' };

/**
 * The member's side of the fenced counter store, which lives in the harness
 * (fenced-store.ts): requests go out as 'store' events, answers come back as
 * 'store-reply' commands. Every access carries the lock's fencing token.
 */
export class StoreClient {
  private nextRid = 1;
  private readonly pending = new Map<number, (answer: StoreAnswer) => void>();

  /** `careless`: the holder will write without checking `valid` again; told to the harness, which may freeze it. */
  read(name: string, token: number, careless: boolean): Promise<StoreAnswer> {
    return this.request({ op: 'read', name, token, careless });
  }

  /** A compare-and-set: stores `expected + 1` only if the counter is still `expected`. */
  increment(name: string, token: number, expected: number): Promise<StoreAnswer> {
    return this.request({ op: 'write', name, token, value: expected });
  }

  onReply(rid: number, answer: StoreAnswer): void {
    const resolve = this.pending.get(rid);
    this.pending.delete(rid);
    resolve?.(answer);
  }

  private request(body: {
    op: 'read' | 'write';
    name: string;
    token: number;
    value?: number;
    careless?: boolean;
  }): Promise<StoreAnswer> {
    const rid = this.nextRid++;
    return new Promise((resolve) => {
      this.pending.set(rid, resolve);
      emit({ ev: 'store', rid, ...body });
    });
  }
}
