import type { ConfigChange, Entry } from '../raft/types.js';

const decoder = new TextDecoder('utf-8', { fatal: false });
const keys = new WeakMap<Entry, string>();

/**
 * A short string that identifies an entry's payload (not its index or term):
 * `noop`, `cmd:<utf-8 text>` or `cfg:<op>:<id>`. Simulated clients propose
 * UTF-8 text, so the key is also readable in traces. Cached per entry object.
 */
export function payloadKey(entry: Entry): string {
  const cached = keys.get(entry);
  if (cached !== undefined) return cached;
  const key =
    entry.type === 'noop'
      ? 'noop'
      : entry.type === 'command'
        ? `cmd:${decoder.decode(entry.data)}`
        : `cfg:${describeChange(entry.change)}`;
  keys.set(entry, key);
  return key;
}

/** `term|payloadKey`: equal exactly when two entries at the same index are the same entry. */
export function termAndPayloadKey(entry: Entry): string {
  return `${entry.term}|${payloadKey(entry)}`;
}

function describeChange(change: ConfigChange): string {
  return `${change.op}:${change.id}`;
}
