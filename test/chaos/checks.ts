import { checkLinearizable } from '../../packages/core/src/sim/linearizability.js';
import { registerModel } from '../../packages/core/src/sim/register-model.js';
import type { FencedStore } from './fenced-store.js';
import type { RegisterHistory } from './register-history.js';
import type { Interval } from './validity-log.js';

/** One broken guarantee, said in a line or a few. */
export interface Anomaly {
  readonly check: string;
  readonly detail: string;
}

/**
 * Per kind and name, no two holders valid at one instant and fencing tokens
 * only growing. Every member reads the same CLOCK_MONOTONIC, so instants
 * from different processes compare exactly: no tolerance is allowed.
 */
export function checkIntervals(intervals: readonly Interval[]): Anomaly[] {
  const groups = new Map<string, Interval[]>();
  for (const interval of intervals) {
    const group = `${interval.kind}:${interval.key}`;
    const list = groups.get(group);
    // Pushed, not copied: a soak run has tens of thousands of intervals per lock.
    if (list === undefined) groups.set(group, [interval]);
    else list.push(interval);
  }
  const anomalies: Anomaly[] = [];
  for (const [group, list] of groups) {
    list.sort((a, b) => a.from - b.from);
    anomalies.push(...overlaps(group, list), ...tokenOrder(group, list));
  }
  return anomalies;
}

/** Two holders (member, life, token) valid at one instant. */
function overlaps(group: string, sorted: readonly Interval[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const active: Interval[] = [];
  for (const interval of sorted) {
    for (let i = active.length - 1; i >= 0; i--) if (active[i]!.to < interval.from) active.splice(i, 1);
    for (const other of active) {
      if (sameHolder(other, interval)) continue;
      anomalies.push({
        check: 'validity overlap',
        detail: `${group}: ${describe(other)} and ${describe(interval)} were both valid for ${(Math.min(other.to, interval.to) - interval.from).toFixed(3)} ms`,
      });
    }
    active.push(interval);
  }
  return anomalies;
}

/** Fencing tokens in the order holders became valid: never lower, and one token never held by two members. */
function tokenOrder(group: string, sorted: readonly Interval[]): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.token < a.token || (b.token === a.token && (a.id !== b.id || a.life !== b.life))) {
      anomalies.push({
        check: 'fencing token order',
        detail: `${group}: ${describe(b)} became valid after ${describe(a)}`,
      });
    }
  }
  return anomalies;
}

function sameHolder(a: Interval, b: Interval): boolean {
  return a.id === b.id && a.life === b.life && a.token === b.token;
}

function describe(i: Interval): string {
  return `${i.id}/${i.life} token ${i.token} [${i.from.toFixed(3)}, ${i.to.toFixed(3)}]`;
}

/**
 * The fenced counters: no compare-and-set failed under a current token (two
 * holders read the same value: one increment would have been lost), no token
 * reached the store from two holders, and no worker reported more successful
 * increments than the store accepted (a worker acting on a refusal). The
 * store counts value and accepted increments together, so comparing those
 * two could never fail and is not done.
 */
export function checkCounters(store: FencedStore, acknowledged: ReadonlyMap<string, number>): Anomaly[] {
  const anomalies: Anomaly[] = [];
  const totals = new Map(store.totals().map((t) => [t.name, t]));
  for (const [name, count] of acknowledged) {
    const accepted = totals.get(name)?.accepted ?? 0;
    if (count > accepted) {
      anomalies.push({
        check: 'lost increment',
        detail: `${name}: ${count} acknowledged, ${accepted} applied`,
      });
    }
  }
  if (store.refusals.conflict > 0) {
    anomalies.push({
      check: 'lock exclusion',
      detail: `${store.refusals.conflict} compare-and-set(s) failed under a current token: two holders interleaved`,
    });
  }
  for (const s of store.sharedTokens) {
    anomalies.push({
      check: 'lock exclusion',
      detail: `${s.name}: token ${s.token} used by ${s.first.id}/${s.first.life} and ${s.second.id}/${s.second.life}`,
    });
  }
  return anomalies;
}

/** The register history against the read/write register model, key by key. */
export function checkHistory(history: RegisterHistory): { anomalies: Anomaly[]; steps: number } {
  const result = checkLinearizable(history.operations(), registerModel, { stepsPerKeyMax: 5_000_000 });
  if (result.ok) return { anomalies: [], steps: result.steps };
  return {
    anomalies: [
      {
        check: result.kind === 'bounds' ? 'linearizability (bounds)' : 'linearizability',
        detail: result.report,
      },
    ],
    steps: 0,
  };
}
