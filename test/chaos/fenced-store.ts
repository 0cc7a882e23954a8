/** Who used a fencing token first: a member in one of its lives. */
export interface TokenUser {
  readonly id: string;
  readonly life: number;
}

export type StoreReply =
  | { readonly ok: true; readonly value: number }
  | { readonly ok: false; readonly refusal: 'stale' | 'conflict' };

interface Counter {
  value: number;
  /** The highest fencing token any access has carried. */
  highest: number;
  accepted: number;
  readonly users: Map<number, TokenUser>;
}

/**
 * The resource the lock workers protect: one counter per lock name, which
 * checks fencing tokens the way DESIGN.md §2.2 asks of a resource — on reads
 * as well as writes it refuses a token lower than the highest it has seen,
 * and an increment is a compare-and-set. It also notes which member first
 * used each token: a token used by two members means two grants shared it.
 */
export class FencedStore {
  private readonly counters = new Map<string, Counter>();
  readonly refusals = { stale: 0, conflict: 0 };
  /** Tokens that reached the store from two different holders. */
  readonly sharedTokens: { name: string; token: number; first: TokenUser; second: TokenUser }[] = [];

  read(name: string, token: number, user: TokenUser): StoreReply {
    const counter = this.counter(name);
    if (!this.admit(name, counter, token, user)) return { ok: false, refusal: 'stale' };
    return { ok: true, value: counter.value };
  }

  /** Sets the counter to `expected + 1` if it is `expected` and `token` is not stale. */
  increment(name: string, token: number, expected: number, user: TokenUser): StoreReply {
    const counter = this.counter(name);
    if (!this.admit(name, counter, token, user)) return { ok: false, refusal: 'stale' };
    if (counter.value !== expected) {
      this.refusals.conflict++;
      return { ok: false, refusal: 'conflict' };
    }
    counter.value += 1;
    counter.accepted += 1;
    return { ok: true, value: counter.value };
  }

  /** Each counter's value and how many increments it accepted. */
  totals(): { name: string; value: number; accepted: number }[] {
    return [...this.counters].map(([name, c]) => ({ name, value: c.value, accepted: c.accepted }));
  }

  private admit(name: string, counter: Counter, token: number, user: TokenUser): boolean {
    if (token < counter.highest) {
      this.refusals.stale++;
      return false;
    }
    counter.highest = token;
    const first = counter.users.get(token);
    if (first === undefined) counter.users.set(token, user);
    else if (first.id !== user.id || first.life !== user.life) {
      this.sharedTokens.push({ name, token, first, second: user });
    }
    return true;
  }

  private counter(name: string): Counter {
    let counter = this.counters.get(name);
    if (counter === undefined) {
      counter = { value: 0, highest: 0, accepted: 0, users: new Map() };
      this.counters.set(name, counter);
    }
    return counter;
  }
}
