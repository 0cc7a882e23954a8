// The vocabulary of the raft table tests: message predicates, commands and scripted log entries.
import type { Entry, MemberId, Message, MessageType, Snapshot, Term } from '../../src/raft/types.js';

/** A message predicate: by type, and optionally sender and addressee. */
export function msg(type: MessageType, from?: MemberId, to?: MemberId): (m: Message) => boolean {
  return (m) =>
    m.type === type && (from === undefined || m.from === from) && (to === undefined || m.to === to);
}

/** Narrows a message to one type, failing the test's expectations loudly if it is another. */
export function as<T extends MessageType>(m: Message | undefined, type: T): Message & { type: T } {
  if (m?.type !== type) throw new Error(`expected a ${type} message, got ${m?.type ?? 'nothing'}`);
  return m as Message & { type: T };
}

/** A command's bytes. */
export function command(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** The texts of the commands among `entries`, in order (no-ops and config changes left out). */
export function commandsOf(entries: readonly Entry[]): string[] {
  return entries.flatMap((e) => (e.type === 'command' ? [new TextDecoder().decode(e.data)] : []));
}

/** Command entries for indexes from.. with the given terms; entry i holds 'i@term'. */
export function entriesOf(terms: readonly Term[], from = 1): Entry[] {
  return terms.map((term, i) => ({
    type: 'command',
    term,
    index: from + i,
    data: command(`${from + i}@${term}`),
  }));
}

/** The commands a snapshot taken by TestCluster.compact captured. */
export function snapshotCommands(snapshot: Snapshot): string[] {
  const text = new TextDecoder().decode(snapshot.data);
  return text === '' ? [] : text.split(',');
}
