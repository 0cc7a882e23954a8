import type { MemberEvent } from './member-protocol.js';

/** A stretch of monotonic time during which one member observed its leadership token valid. */
export interface ValidityInterval {
  readonly id: string;
  readonly life: number;
  readonly term: number;
  /** Read just before the first check that returned true. */
  readonly from: number;
  /** Read just after the last check known to have returned true. */
  readonly to: number;
}

/**
 * Rebuilds each member's validity intervals from its 'valid', 'valid-seen'
 * and 'valid-end' events (with `of: 'job'`, from the 'job-…' events of its
 * runOnLeader job). An interval still open (the member is valid now, or was
 * killed while valid) ends at its last report.
 */
export function validityIntervals(
  events: readonly MemberEvent[],
  of: 'token' | 'job' = 'token',
): ValidityInterval[] {
  const [start, seen, end] =
    of === 'token' ? ['valid', 'valid-seen', 'valid-end'] : ['job-valid', 'job-seen', 'job-end'];
  const open = new Map<string, { id: string; life: number; term: number; from: number; to: number }>();
  const closed: ValidityInterval[] = [];
  for (const e of events) {
    const key = `${e.id}/${e.life}`;
    const run = open.get(key);
    if (e.ev === start && 'term' in e) {
      if (run !== undefined) closed.push(run);
      open.set(key, { id: e.id, life: e.life, term: e.term, from: e.at, to: e.at });
    } else if (e.ev === seen && run !== undefined) {
      run.to = Math.max(run.to, e.at);
    } else if (e.ev === end && 'lastTrueAt' in e && run !== undefined) {
      run.to = Math.max(run.to, e.lastTrueAt);
      closed.push(run);
      open.delete(key);
    } else if (e.ev === 'exit' && run !== undefined) {
      closed.push(run);
      open.delete(key);
    }
  }
  return [...closed, ...open.values()].sort((a, b) => a.from - b.from);
}

/** Pairs of intervals of different members that share an instant. */
export function overlappingIntervals(
  intervals: readonly ValidityInterval[],
): [ValidityInterval, ValidityInterval][] {
  const pairs: [ValidityInterval, ValidityInterval][] = [];
  for (const [i, a] of intervals.entries()) {
    for (const b of intervals.slice(i + 1)) {
      if (a.id !== b.id && a.from <= b.to && b.from <= a.to) pairs.push([a, b]);
    }
  }
  return pairs;
}
