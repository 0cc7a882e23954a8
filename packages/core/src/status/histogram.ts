/** Upper bounds (seconds) of the latency buckets: 100 µs to 10 s. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/**
 * A cumulative histogram as Prometheus defines one (fixed buckets, a sum and
 * a count): constant memory, whatever the number of observations.
 */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(readonly bucketsS: readonly number[] = LATENCY_BUCKETS_S) {
    this.counts = bucketsS.map(() => 0);
  }

  /** Records one observation, in milliseconds. */
  observeMs(ms: number): void {
    const s = ms / 1000;
    this.sum += s;
    this.count++;
    for (let i = 0; i < this.bucketsS.length; i++) if (s <= this.bucketsS[i]!) this.counts[i]!++;
  }

  /** The Prometheus text lines of this histogram under `name`, with HELP and TYPE. */
  render(name: string, help: string): string[] {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    this.bucketsS.forEach((le, i) => {
      lines.push(`${name}_bucket{le="${le}"} ${this.counts[i]}`);
    });
    lines.push(
      `${name}_bucket{le="+Inf"} ${this.count}`,
      `${name}_sum ${this.sum}`,
      `${name}_count ${this.count}`,
    );
    return lines;
  }

  /** The smallest bucket bound covering `q` of the observations (0 when there are none). */
  quantileS(q: number): number {
    if (this.count === 0) return 0;
    const target = q * this.count;
    for (let i = 0; i < this.bucketsS.length; i++) if (this.counts[i]! >= target) return this.bucketsS[i]!;
    return Number.POSITIVE_INFINITY;
  }
}
