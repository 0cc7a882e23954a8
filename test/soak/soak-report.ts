import type { Sample } from './resource-sampler.js';
import { kib, mib } from './soak-checks.js';

interface Metric {
  readonly label: string;
  readonly value: (s: Sample) => number | null;
  readonly format: (n: number) => string;
}

const METRICS: readonly Metric[] = [
  { label: 'heap after GC', value: (s) => s.heapUsed, format: mib },
  { label: 'rss', value: (s) => s.rss, format: mib },
  { label: 'open fds', value: (s) => s.fds, format: String },
  { label: 'WAL on disk', value: (s) => s.walBytes, format: kib },
  { label: 'WAL segments', value: (s) => s.walSegments, format: String },
  { label: 'snapshots', value: (s) => s.snapshotBytes, format: kib },
  { label: 'WAL written', value: (s) => s.walBytesWritten, format: kib },
  { label: 'applied index', value: (s) => s.appliedIndex, format: String },
];

/**
 * The figures of a run per member: its first sample (links up, before the
 * first reset), the largest of all its samples, and its last (after the
 * workload stopped and the links came back).
 */
export function resourceTable(samples: ReadonlyMap<string, readonly Sample[]>): string[] {
  const rows: string[][] = [['member', 'figure', 'start', 'max', 'end']];
  for (const [id, list] of samples) {
    const first = list[0];
    const last = list.at(-1);
    if (first === undefined || last === undefined) continue;
    for (const metric of METRICS) {
      const values = list.map(metric.value).filter((v): v is number => v !== null);
      const show = (v: number | null): string => (v === null ? '-' : metric.format(v));
      rows.push([
        id,
        metric.label,
        show(metric.value(first)),
        values.length === 0 ? '-' : metric.format(Math.max(...values)),
        show(metric.value(last)),
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) =>
    r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
  );
}
