import type { MemberEvent, MemberEventName } from './member-protocol.js';
import type { EventOf, ProcessCluster } from './process-cluster.js';

/** The default clock drift bound of a member (DESIGN.md §2.1), which a lease's client deadline allows for. */
export const DRIFT_BOUND = 0.05;

/** How long after sending an acknowledged keep-alive a member counts on a lease of `ttlMs` (LeaseClient). */
export function safeTtlMs(ttlMs: number): number {
  return (ttlMs * (1 - DRIFT_BOUND)) / (1 + DRIFT_BOUND);
}

type Command = Parameters<ProcessCluster['send']>[1];

/** Sends `command` to member `id` and resolves with its first reply among `replies` (matched by req). */
export async function ask<K extends MemberEventName>(
  pc: ProcessCluster,
  id: string,
  command: Command,
  replies: readonly K[],
  timeoutMs: number,
): Promise<EventOf<K>> {
  const mark = pc.mark();
  const req = pc.send(id, command);
  const reply = await pc.waitFor(
    id,
    (e) => (replies as readonly string[]).includes(e.ev) && 'req' in e && e.req === req,
    timeoutMs,
    { after: mark },
  );
  return reply as EventOf<K>;
}

/** Between two linearizable reads of a queue that has not reached the expected state yet. */
const WAITERS_POLL_MS = 20;

/**
 * Reads the queue of a lock or election on member `askId` (linearizably)
 * until its owners are exactly `owners`, oldest first. The cluster raises no
 * event when a request joins a queue, so this asks again every few
 * milliseconds, for at most `timeoutMs`.
 */
export async function awaitWaiters(
  pc: ProcessCluster,
  askId: string,
  space: 'lock' | 'election',
  name: string,
  owners: readonly string[],
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const reply = await ask(pc, askId, { cmd: 'waiters', space, name }, ['waiters'], timeoutMs);
    if (JSON.stringify(reply.owners) === JSON.stringify(owners)) return;
    if (performance.now() > deadline) {
      throw new Error(
        `the ${space} ${name} queue is ${JSON.stringify(reply.owners)}, not ${JSON.stringify(owners)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, WAITERS_POLL_MS));
  }
}

/** A stretch of monotonic time during which one member observed one grant (lock or election win) valid. */
export interface HoldInterval {
  readonly id: string;
  readonly life: number;
  readonly token: number;
  readonly from: number;
  readonly to: number;
  /** The last lease deadline the member reported for it (null when none was). */
  readonly deadline: number | null;
}

/**
 * Rebuilds the validity runs of the holds keyed `key` ('lock:<name>',
 * 'election:<name>') from 'hold-valid', 'hold-seen' and 'hold-end' events.
 * A run still open (valid now, or the member was killed while valid) ends
 * at its last report.
 */
export function holdIntervals(events: readonly MemberEvent[], key: string): HoldInterval[] {
  const open = new Map<
    string,
    { id: string; life: number; token: number; from: number; to: number; deadline: number | null }
  >();
  const closed: HoldInterval[] = [];
  for (const e of events) {
    const run = (token: number) => open.get(`${e.id}/${e.life}/${token}`);
    if (e.ev === 'hold-valid' && e.key === key) {
      const previous = run(e.token);
      if (previous !== undefined) closed.push(previous);
      open.set(`${e.id}/${e.life}/${e.token}`, {
        id: e.id,
        life: e.life,
        token: e.token,
        from: e.at,
        to: e.at,
        deadline: null,
      });
    } else if (e.ev === 'hold-seen' && e.key === key) {
      const r = run(e.token);
      if (r === undefined) continue;
      r.to = Math.max(r.to, e.at);
      r.deadline = e.deadline;
    } else if (e.ev === 'hold-end' && e.key === key) {
      const r = run(e.token);
      if (r === undefined) continue;
      r.to = Math.max(r.to, e.lastTrueAt);
      closed.push(r);
      open.delete(`${e.id}/${e.life}/${e.token}`);
    }
  }
  return [...closed, ...open.values()].sort((a, b) => a.from - b.from);
}

/** Pairs of runs of different grants (different tokens) that share an instant. */
export function overlappingHolds(intervals: readonly HoldInterval[]): [HoldInterval, HoldInterval][] {
  const pairs: [HoldInterval, HoldInterval][] = [];
  for (const [i, a] of intervals.entries()) {
    for (const b of intervals.slice(i + 1)) {
      if (a.token !== b.token && a.from <= b.to && b.from <= a.to) pairs.push([a, b]);
    }
  }
  return pairs;
}

/** The last lease deadline member `id` reported for the hold `key` with `token`. */
export function lastDeadline(events: readonly MemberEvent[], id: string, key: string, token: number): number {
  const seen = events.filter(
    (e): e is EventOf<'hold-seen'> =>
      e.ev === 'hold-seen' && e.id === id && e.key === key && e.token === token && e.deadline !== null,
  );
  const last = seen.at(-1);
  if (last?.deadline == null) throw new Error(`${id} reported no lease deadline for ${key} (token ${token})`);
  return last.deadline;
}

/** Milliseconds, rounded for printing. */
export function ms(value: number): string {
  return `${Math.round(value)} ms`;
}
