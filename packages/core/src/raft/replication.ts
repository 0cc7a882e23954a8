import { releaseRead } from './leader-reads.js';
import type { Progress } from './progress.js';
import { quorumIndex } from './quorum.js';
import type { Raft } from './raft.js';
import { entryBytes } from './raft-log.js';
import type { Entry, LogIndex, MemberId } from './types.js';

/**
 * The leader's side of log replication (paper §5.3): what to send each
 * follower, heartbeat rounds, and the commit rule (§5.4.2).
 */

/**
 * Sends `to` what it is missing: entries from its `next` index, or the
 * latest snapshot if those entries are compacted. With `sendIfEmpty` false,
 * sends nothing when there are no entries to carry. Returns whether it sent.
 */
export function sendAppend(r: Raft, to: MemberId, sendIfEmpty = true): boolean {
  const pr = r.progress.get(to);
  if (!pr || to === r.id || pr.isPaused(r.opts.inflightMessagesMax)) return false;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = r.log.term(prevLogIndex);
  if (prevLogTerm === undefined) return sendSnapshot(r, to, pr);
  const entries =
    pr.state === 'probe' && pr.match + 1 < pr.next
      ? [] // probing: find the match point before streaming entries
      : r.log.slice(pr.next, r.log.lastIndex(), r.opts.entriesPerMessageMax, r.opts.bytesPerMessageMax);
  if (entries.length === 0 && !sendIfEmpty) return false;
  if (pr.state === 'replicate' && extendQueuedAppend(r, to, prevLogIndex, entries)) return true;
  r.send({
    type: 'append',
    from: r.id,
    to,
    term: r.term,
    prevLogIndex,
    prevLogTerm,
    entries,
    commit: r.log.committed,
  });
  pr.sentEntries(prevLogIndex + entries.length, entries.length);
  return true;
}

/**
 * Adds `entries` (which follow `prevLogIndex`) to the append for `to` still
 * queued in `r.msgs`, instead of queueing one more, when they continue it and
 * it is both the last message queued for `to` and the last append in flight
 * to it, within the per-message limits. Proposals made in one turn then cost
 * each follower one append (and one answer) instead of one per proposal; the
 * follower sees the same entries in the same order, and the newer commit
 * index. Returns whether it did.
 */
function extendQueuedAppend(
  r: Raft,
  to: MemberId,
  prevLogIndex: LogIndex,
  entries: readonly Entry[],
): boolean {
  if (entries.length === 0) return false;
  for (let i = r.msgs.length - 1; i >= 0; i--) {
    const m = r.msgs[i]!;
    if (m.to !== to) continue;
    if (m.type !== 'append' || m.term !== r.term || m.entries.length === 0) return false;
    const queuedLast = m.prevLogIndex + m.entries.length;
    const pr = r.progress.get(to)!;
    if (queuedLast !== prevLogIndex) return false;
    if (m.entries.length + entries.length > r.opts.entriesPerMessageMax) return false;
    if (sumBytes(m.entries) + sumBytes(entries) > r.opts.bytesPerMessageMax) return false;
    if (!pr.extendLastInflight(queuedLast, prevLogIndex + entries.length)) return false;
    r.msgs[i] = { ...m, entries: [...m.entries, ...entries], commit: r.log.committed };
    return true;
  }
  return false;
}

function sumBytes(entries: readonly Entry[]): number {
  let bytes = 0;
  for (const e of entries) bytes += entryBytes(e);
  return bytes;
}

function sendSnapshot(r: Raft, to: MemberId, pr: Progress): boolean {
  const snapshot = r.latestSnapshot;
  if (!snapshot) return false; // compacted without a snapshot: cannot happen through RawNode
  r.send({ type: 'snapshot', from: r.id, to, term: r.term, snapshot });
  pr.becomeSnapshot(snapshot.meta.index, r.tickCount);
  return true;
}

export function bcastAppend(r: Raft): void {
  for (const id of r.progress.keys()) if (id !== r.id) sendAppend(r, id);
}

/** Broadcasts a new heartbeat round: the unit of the leader lease and of ReadIndex confirmation. */
export function bcastHeartbeat(r: Raft): void {
  r.round++;
  r.roundToReport = r.round;
  r.roundAcks.set(r.id, r.round);
  for (const [to, pr] of r.progress) {
    if (to === r.id) continue;
    // Never tell a follower to commit past what it is known to hold.
    const commit = Math.min(pr.match, r.log.committed);
    r.send({ type: 'heartbeat', from: r.id, to, term: r.term, commit, round: r.round });
  }
  updateLeaseRound(r);
}

/** Recomputes the highest heartbeat round a quorum of voters acknowledged in this term; releases reads. */
export function updateLeaseRound(r: Raft): void {
  const round = quorumIndex(r.config.voters, (id) => r.roundAcks.get(id) ?? 0);
  if (round <= r.leaseRound) return;
  r.leaseRound = round;
  for (const read of r.reads.confirm(round)) releaseRead(r, read.requestId, read.from, read.index);
}

/** Paper §5.3/§5.4.2: commit the quorum's match index, but only by counting entries of our own term. */
export function maybeCommit(r: Raft): boolean {
  const index = quorumIndex(r.config.voters, (id) => r.progress.get(id)?.match ?? 0);
  if (index <= r.log.committed || r.log.term(index) !== r.term) return false;
  r.commitTo(index);
  return true;
}
