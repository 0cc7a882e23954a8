/** One scheduled event: when it fires, and in which order it was scheduled. */
export interface TimedEvent<T> {
  readonly atUs: number;
  readonly seq: number;
  readonly item: T;
}

/**
 * A priority queue of timed events (a binary heap). Events fire in time
 * order; events due at the same instant fire in the order they were pushed,
 * which keeps a simulation deterministic. It refuses to grow past `sizeMax`,
 * so a runaway feedback loop fails loudly instead of eating the memory.
 */
export class EventQueue<T> {
  private readonly heap: TimedEvent<T>[] = [];
  private nextSeq = 0;
  readonly sizeMax: number;

  constructor(sizeMax = 1_000_000) {
    this.sizeMax = sizeMax;
  }

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `item` at global time `atUs`. */
  push(atUs: number, item: T): void {
    if (!Number.isFinite(atUs)) throw new RangeError(`event time must be finite: ${atUs}`);
    if (this.heap.length >= this.sizeMax) throw new RangeError(`event queue full (sizeMax ${this.sizeMax})`);
    const heap = this.heap;
    heap.push({ atUs, seq: this.nextSeq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as TimedEvent<T>, heap[parent] as TimedEvent<T>)) break;
      swap(heap, i, parent);
      i = parent;
    }
  }

  /** The earliest event without removing it. */
  peek(): TimedEvent<T> | undefined {
    return this.heap[0];
  }

  /** Removes and returns the earliest event (the first pushed among equals). */
  pop(): TimedEvent<T> | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < heap.length && before(heap[left] as TimedEvent<T>, heap[best] as TimedEvent<T>)) best = left;
      if (right < heap.length && before(heap[right] as TimedEvent<T>, heap[best] as TimedEvent<T>))
        best = right;
      if (best === i) break;
      swap(heap, i, best);
      i = best;
    }
    return top;
  }
}

function before<T>(x: TimedEvent<T>, y: TimedEvent<T>): boolean {
  return x.atUs < y.atUs || (x.atUs === y.atUs && x.seq < y.seq);
}

function swap<T>(heap: T[], i: number, j: number): void {
  const tmp = heap[i] as T;
  heap[i] = heap[j] as T;
  heap[j] = tmp;
}
