import type { ClientSessions } from './client-sessions.js';
import { decodeEnvelope } from './command-envelope.js';

/** What applying one command entry came to, as every member computes it. */
export type AppliedOutcome =
  /** Executed now, or earlier (a retry): the state machine's result of the first execution. */
  | { readonly kind: 'ok'; readonly result: unknown }
  /** A session opened: its id is the entry's index. */
  | { readonly kind: 'registered'; readonly session: number }
  /** Its session is unknown (forgotten): not executed. */
  | { readonly kind: 'expired' }
  /** Below its client's floor (an old retry nobody waits for): not executed. */
  | { readonly kind: 'stale' }
  /** Its client gave up on it before it was applied: not executed (an abandon entry's answer too). */
  | { readonly kind: 'abandoned' }
  /** An abandon entry found the command applied earlier: its result, for the client to undo. */
  | { readonly kind: 'executed'; readonly result: unknown };

/**
 * Applies one committed command entry: decodes its envelope, opens a session
 * or consults the session table, and calls `execute` with the payload only
 * when this is the first application of that (session, seq) — or always, for
 * a plain command. Deterministic given the table and the entry.
 */
export function applySessioned(
  sessions: ClientSessions,
  entry: { readonly index: number; readonly data: Uint8Array },
  execute: (payload: Uint8Array) => unknown,
): AppliedOutcome {
  const envelope = decodeEnvelope(entry.data);
  switch (envelope.kind) {
    case 'register':
      sessions.register(entry.index);
      return { kind: 'registered', session: entry.index };
    case 'plain':
      return { kind: 'ok', result: execute(envelope.payload) };
    case 'abandon':
      return sessions.abandon(envelope.session, envelope.seq, entry.index);
    case 'session': {
      const verdict = sessions.check(envelope.session, envelope.seq, envelope.floor, entry.index);
      if (verdict.kind === 'duplicate') return { kind: 'ok', result: verdict.result };
      if (verdict.kind !== 'execute') return verdict;
      const result = execute(envelope.payload);
      sessions.record(envelope.session, envelope.seq, result);
      return { kind: 'ok', result };
    }
  }
}
