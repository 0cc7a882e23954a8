import type { Ready } from './ready.js';
import type { Message } from './types.js';

/**
 * How many of a Ready's committed entries (counted from the first) this
 * member already holds durably, so that the driver may apply them before
 * the Ready's own write: those below the Ready's first new entry, because
 * every earlier Ready was persisted before it was advanced. An entry at or
 * after that index is part of this Ready's write (new, or replacing what is
 * stored), so it and everything after it must wait for the write. None when
 * the Ready installs a snapshot, which replaces the state machine's state
 * and so must be applied first.
 */
export function durableCommittedCount(rd: Pick<Ready, 'snapshot' | 'entries' | 'committedEntries'>): number {
  if (rd.snapshot) return 0;
  const firstNew = rd.entries[0]?.index;
  if (firstNew === undefined) return rd.committedEntries.length;
  const i = rd.committedEntries.findIndex((e) => e.index >= firstNew);
  return i === -1 ? rd.committedEntries.length : i;
}

/**
 * The messages a leader sends to replicate: they acknowledge nothing, so they
 * may leave before the leader's own write once its term and vote are durable
 * (dissertation §10.2.1). Votes, vote answers, append answers and everything
 * else vouch for the sender's durable state and wait for the write.
 */
export function isLeaderReplication(m: Message): boolean {
  return m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot';
}
