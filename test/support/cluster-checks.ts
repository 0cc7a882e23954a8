import { expect } from 'vitest';
import type { AppliedCommand, MemberEvent } from './member-protocol.js';
import type { EventOf, ProcessCluster } from './process-cluster.js';

/** Bound on waiting for an election (several election timeouts, on a loaded 2-core machine). */
export const ELECTION_WAIT_MS = 20_000;
/** Bound on waiting for replication, acknowledgements or a status answer. */
export const REPLICATION_WAIT_MS = 20_000;

/** n1 … n<size>. */
export function memberIds(size: number): string[] {
  return Array.from({ length: size }, (_, i) => `n${i + 1}`);
}

/** `<prefix>-0` … `<prefix>-<count - 1>`. */
export function tags(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/**
 * Waits until some member's leadership() resolves with a term above
 * `aboveTerm`, among events after `after`; resolves with that 'token' event.
 */
export async function awaitLeader(
  pc: ProcessCluster,
  options: { after?: number; aboveTerm?: number; among?: readonly string[] } = {},
): Promise<EventOf<'token'>> {
  const { after = 0, aboveTerm = 0, among } = options;
  return await pc.waitForEvent(
    undefined,
    'token',
    (e) => e.term > aboveTerm && (among === undefined || among.includes(e.id)),
    ELECTION_WAIT_MS,
    { after },
  );
}

/** Waits until every member reports following `leader` (its id, in its term). */
export async function awaitAllFollow(
  pc: ProcessCluster,
  leader: { id: string; term: number },
): Promise<void> {
  await Promise.all(
    pc.ids.map((id) =>
      pc.waitForEvent(
        id,
        'leader',
        (e) => e.leaderId === leader.id && e.term === leader.term,
        ELECTION_WAIT_MS,
      ),
    ),
  );
}

/**
 * Waits until each of `ids` has applied everything the leader had committed
 * when asked; resolves with their statuses (the leader's last).
 */
export async function awaitCaughtUp(
  pc: ProcessCluster,
  leaderId: string,
  ids: readonly string[],
): Promise<EventOf<'status'>[]> {
  const leader = await pc.status(leaderId, REPLICATION_WAIT_MS);
  const others = await Promise.all(
    ids.filter((id) => id !== leaderId).map((id) => pc.status(id, REPLICATION_WAIT_MS, leader.commitIndex)),
  );
  return [...others, await pc.status(leaderId, REPLICATION_WAIT_MS)];
}

/** Applied commands of one member, up to and including `index`. */
export function appliedThrough(status: EventOf<'status'>, index: number): AppliedCommand[] {
  return status.applied.filter(([i]) => i <= index);
}

/** Election safety on what was observed: no two members reported leading in the same term. */
export function expectOneLeaderPerTerm(events: readonly MemberEvent[]): void {
  const leaderOf = new Map<number, string>();
  for (const e of events) {
    if (e.ev !== 'role' || e.role !== 'leader') continue;
    const other = leaderOf.get(e.term);
    expect(other ?? e.id, `leaders of term ${e.term}`).toBe(e.id);
    leaderOf.set(e.term, e.id);
  }
}

/**
 * State machine safety on what was observed: indexes only grow on each
 * member, no tag is applied twice, every member applied the same commands
 * at the same indexes up to the lowest applied index among them, and every
 * acknowledged command is among them at its acknowledged index.
 */
export function expectSameAppliedCommands(
  statuses: readonly EventOf<'status'>[],
  acks: readonly EventOf<'ack'>[],
): void {
  const through = Math.min(...statuses.map((s) => s.appliedIndex));
  const reference = appliedThrough(statuses[0]!, through);
  for (const s of statuses) {
    const indexes = s.applied.map(([i]) => i);
    expect(indexes, `${s.id} applies in index order`).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size, `${s.id} applies each index once`).toBe(indexes.length);
    const tagsSeen = s.applied.map(([, tag]) => tag);
    expect(new Set(tagsSeen).size, `${s.id} applies each tag once`).toBe(tagsSeen.length);
    expect(appliedThrough(s, through), `${s.id} applied what ${statuses[0]!.id} applied`).toEqual(reference);
  }
  const byTag = new Map(reference.map(([index, tag]) => [tag, index]));
  for (const ack of acks) {
    expect(byTag.get(ack.tag), `acknowledged ${ack.tag} is applied at ${ack.index}`).toBe(ack.index);
  }
}
