import type { Sample } from './resource-sampler.js';

/** One bound of the soak run, checked: what was measured against what was allowed. */
export interface SoakCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** The storage settings the members ran with, which the WAL bound derives from. */
export interface WalLimits {
  readonly segmentBytesMax: number;
  readonly snapshotEntries: number;
}

/**
 * The bounds, written down. WAL: a snapshot every `snapshotEntries` applied
 * entries lets compaction delete every closed segment it covers, so at any
 * instant the WAL holds the active segment, at most one closed segment that
 * also holds entries from before the last snapshot, and the records of the
 * entries since then — `segment + snapshotEntries × bytes per entry` — and
 * twice that allows for a snapshot still being written and for batches
 * larger than the average (bytes per entry counts the hard-state records
 * that ride along). Heap and snapshots "flat": the median of the last third
 * of the samples at most this much above the median of the second third (the
 * first third is warm-up). Descriptors: back within this many of the start
 * once the links are up again.
 */
export const BOUNDS = {
  walSegmentsSlack: 2,
  walEntriesSlack: 2,
  heapGrowthBytesMax: 4 * 1024 * 1024,
  snapshotGrowthBytesMax: 64 * 1024,
  fdsSlack: 4,
} as const;

const KIB = 1024;
const MIB = 1024 * 1024;

/** The WAL bound of a member that wrote `bytesPerEntry` WAL bytes per log entry. */
export function walBound(limits: WalLimits, bytesPerEntry: number): number {
  return (
    BOUNDS.walSegmentsSlack * limits.segmentBytesMax +
    BOUNDS.walEntriesSlack * limits.snapshotEntries * bytesPerEntry
  );
}

/**
 * The WAL on disk never exceeded its bound, and the member wrote more than
 * the bound in all (else the run was too short to show compaction at work).
 */
export function checkWal(id: string, samples: readonly Sample[], limits: WalLimits): SoakCheck {
  const name = `${id} WAL bounded`;
  const end = samples.at(-1);
  if (end === undefined) return { name, ok: false, detail: 'no samples' };
  const bytesPerEntry = end.walBytesWritten / Math.max(1, end.appliedIndex);
  const bound = walBound(limits, bytesPerEntry);
  const max = Math.max(...samples.map((s) => s.walBytes));
  const written = end.walBytesWritten;
  const formula = `2 × ${kib(limits.segmentBytesMax)} segment + 2 × ${limits.snapshotEntries} entries × ${bytesPerEntry.toFixed(0)} B/entry`;
  const ok = max <= bound && written > bound;
  const why =
    max > bound
      ? 'OVER THE BOUND'
      : written <= bound
        ? 'the run wrote less than the bound: too short to show compaction'
        : `${(written / Math.max(1, end.walBytes)).toFixed(0)}× below what was written`;
  return {
    name,
    ok,
    detail: `max ${kib(max)}, end ${kib(end.walBytes)} (${end.walSegments} segments) ≤ bound ${kib(bound)} (${formula}); ${kib(written)} written for ${end.appliedIndex} entries, uncompacted; ${why}`,
  };
}

/** The median of the last third of the run's samples at most `growthMax` above that of the second third. */
export function checkFlat(
  name: string,
  values: readonly number[],
  growthMax: number,
  unit: (n: number) => string,
): SoakCheck {
  const third = Math.floor(values.length / 3);
  if (third < 2) return { name, ok: false, detail: `${values.length} samples: too few to compare thirds` };
  const middle = median(values.slice(third, 2 * third));
  const last = median(values.slice(values.length - third));
  const growth = last - middle;
  return {
    name,
    ok: growth <= growthMax,
    detail: `median of the last third ${unit(last)}, of the second third ${unit(middle)}: ${growth >= 0 ? '+' : ''}${unit(growth)} (bound +${unit(growthMax)})`,
  };
}

export function checkHeap(id: string, samples: readonly Sample[]): SoakCheck {
  return checkFlat(
    `${id} heap flat`,
    samples.map((s) => s.heapUsed),
    BOUNDS.heapGrowthBytesMax,
    mib,
  );
}

export function checkSnapshots(id: string, samples: readonly Sample[]): SoakCheck {
  return checkFlat(
    `${id} snapshots flat`,
    samples.map((s) => s.snapshotBytes),
    BOUNDS.snapshotGrowthBytesMax,
    kib,
  );
}

/** Open descriptors at the end within BOUNDS.fdsSlack of the start. */
export function checkFds(id: string, start: Sample, end: Sample, max: number | null): SoakCheck {
  const name = `${id} descriptors back`;
  if (start.fds === null || end.fds === null) return { name, ok: true, detail: 'not measured (no /proc)' };
  const grown = end.fds - start.fds;
  return {
    name,
    ok: grown <= BOUNDS.fdsSlack,
    detail: `start ${start.fds}, max ${max}, end ${end.fds}: ${grown >= 0 ? '+' : ''}${grown} (bound +${BOUNDS.fdsSlack})`,
  };
}

/** The members logged at least `target` reconnects (link-ups after each link's first). */
export function checkReconnects(observed: number, target: number, resets: number): SoakCheck {
  return {
    name: 'reconnects',
    ok: observed >= target,
    detail: `${observed} observed in the members' logs (at least ${target} wanted); ${resets} link resets by the harness`,
  };
}

/** Acknowledged increments in each third of the run: the lock workload never stalled for long. */
export function checkProgress(points: readonly { atMs: number; ok: number }[]): SoakCheck {
  const name = 'lock progress';
  const first = points[0];
  const last = points.at(-1);
  if (first === undefined || last === undefined || last.atMs <= first.atMs) {
    return { name, ok: false, detail: 'no progress points' };
  }
  const span = last.atMs - first.atMs;
  const okAt = (t: number): number => {
    let ok = first.ok;
    for (const p of points) if (p.atMs <= t) ok = p.ok;
    return ok;
  };
  const thirds = [1, 2, 3].map(
    (k) => okAt(first.atMs + (span * k) / 3) - okAt(first.atMs + (span * (k - 1)) / 3),
  );
  return {
    name,
    ok: thirds.every((n) => n > 0),
    detail: `increments acknowledged per third of the run: ${thirds.join(', ')}`,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function kib(bytes: number): string {
  return `${(bytes / KIB).toFixed(0)} KiB`;
}

export function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}
