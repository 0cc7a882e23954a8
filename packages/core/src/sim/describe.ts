import type { Ready } from '../raft/ready.js';
import type { Entry, Message } from '../raft/types.js';
import { payloadKey } from './entry-key.js';

/** A one-line summary of a message for traces, e.g. `append n1->n2 t3 prev 4/3 [5..6] c4`. */
export function describeMessage(m: Message): string {
  const head = `${m.type} ${m.from}->${m.to} t${m.term}`;
  switch (m.type) {
    case 'vote':
    case 'preVote':
      return `${head} last ${m.lastLogIndex}/${m.lastLogTerm}${m.transfer ? ' transfer' : ''}`;
    case 'voteResp':
    case 'preVoteResp':
      return `${head}${m.reject ? ' reject' : ' grant'}`;
    case 'append':
      return `${head} prev ${m.prevLogIndex}/${m.prevLogTerm} ${describeRange(m.entries)} c${m.commit}`;
    case 'appendResp':
      return `${head} ${m.reject ? `reject ${m.index} hint ${m.hintIndex}/${m.hintTerm}` : `ok ${m.index}`}`;
    case 'heartbeat':
      return `${head} r${m.round} c${m.commit}`;
    case 'heartbeatResp':
      return `${head} r${m.round}`;
    case 'snapshot':
      return `${head} at ${m.snapshot.meta.index}/${m.snapshot.meta.term}`;
    case 'timeoutNow':
      return head;
    case 'readIndex':
      return `${head} ${m.requestId}`;
    case 'readIndexResp':
      return `${head} ${m.requestId} ${m.reject ? 'reject' : `at ${m.index}`}`;
  }
}

/** A one-line summary of what a Ready asks the driver to do. */
export function describeReady(r: Ready): string {
  const parts: string[] = [];
  if (r.softState) parts.push(`${r.softState.role} t${r.softState.term} lead ${r.softState.leaderId ?? '-'}`);
  if (r.hardState) parts.push(`hs t${r.hardState.term} v ${r.hardState.vote ?? '-'} c${r.hardState.commit}`);
  if (r.snapshot) parts.push(`snap ${r.snapshot.meta.index}/${r.snapshot.meta.term}`);
  if (r.entries.length > 0) parts.push(`ents ${describeRange(r.entries)}`);
  if (r.messages.length > 0) parts.push(`msgs ${r.messages.length}`);
  if (r.committedEntries.length > 0) parts.push(`apply ${describeRange(r.committedEntries)}`);
  if (r.heartbeatRound !== undefined) parts.push(`round ${r.heartbeatRound}`);
  if (r.readStates.length > 0) parts.push(`reads ${r.readStates.length}`);
  if (r.mustSync) parts.push('sync');
  return parts.join(' ');
}

/** `[]`, `[5 noop/3]` or `[5..9]`. */
export function describeRange(entries: readonly Entry[]): string {
  const first = entries[0];
  const last = entries[entries.length - 1];
  if (first === undefined || last === undefined) return '[]';
  if (first === last) return `[${first.index} ${payloadKey(first)}/${first.term}]`;
  return `[${first.index}..${last.index}]`;
}
