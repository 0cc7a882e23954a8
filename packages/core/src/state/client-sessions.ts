import { BatonError } from '../errors.js';

/** Bounds of the session table; every member must use the same ones (they decide what is applied). */
export interface ClientSessionsLimits {
  /** Sessions kept; beyond it the one idle longest (by log index) is forgotten. */
  readonly sessionsMax: number;
  /** Results one session may hold unacknowledged; a session beyond it is forgotten. */
  readonly resultsPerSessionMax: number;
}

/** What applying a session command should do. */
export type SessionVerdict =
  /** First time this (session, seq) is applied: run it, then record its result. */
  | { readonly kind: 'execute' }
  /** Applied before: answer with the first result, change nothing. */
  | { readonly kind: 'duplicate'; readonly result: unknown }
  /** The session is unknown (never opened, or forgotten): not applied. */
  | { readonly kind: 'expired' }
  /** Below the client's floor: the client had its answer already and nobody waits; not applied. */
  | { readonly kind: 'stale' }
  /** Its client gave up on it before it was applied (abandon): never applied. */
  | { readonly kind: 'abandoned' };

/** What abandoning a command (session, seq) found. */
export type AbandonVerdict =
  /** It had been applied: here is its result, for the client to undo what it must. */
  | { readonly kind: 'executed'; readonly result: unknown }
  /** It had not been applied, and now never will be. */
  | { readonly kind: 'abandoned' }
  | { readonly kind: 'expired' }
  | { readonly kind: 'stale' };

/** The result slot of a seq abandoned before it was applied. */
const ABANDONED: unique symbol = Symbol('abandoned');

interface Session {
  floor: number;
  /** Results of applied seqs at or above `floor` (ABANDONED for a seq abandoned unapplied). */
  readonly results: Map<number, unknown>;
  lastIndex: number;
}

/** The table as plain data, for snapshots. Results must be plain data too (JSON). */
export interface ClientSessionsSnapshot {
  readonly sessions: readonly {
    readonly id: number;
    readonly floor: number;
    readonly lastIndex: number;
    readonly results: readonly (readonly [number, unknown])[];
    /** Seqs abandoned before they were applied. */
    readonly abandoned?: readonly number[];
  }[];
}

/**
 * The replicated table that makes retried commands idempotent (Raft
 * dissertation §6.3): per client session, the results of the commands it
 * applied and has not acknowledged yet. Deterministic — it changes only as
 * entries are applied, in log order, so every member holds the same table and
 * gives a retry the same answer. Bounded: a session is forgotten when it has
 * been idle longest and the table is full, or when it holds too many
 * unacknowledged results; its later commands are then answered `expired`,
 * never applied, so a forgotten session can never cause a second execution.
 */
export class ClientSessions {
  /** In order of last use: the first is the one idle longest. */
  private readonly sessions = new Map<number, Session>();

  constructor(private readonly limits: ClientSessionsLimits) {}

  get size(): number {
    return this.sessions.size;
  }

  /** Opens the session whose id is `index`, the index of its register entry. */
  register(index: number): void {
    this.sessions.set(index, { floor: 1, results: new Map(), lastIndex: index });
    this.evictIdle();
  }

  /**
   * Decides what the command (session, seq) applied at `index` does, and
   * forgets the session's results below `floor` (the client has those answers).
   */
  check(session: number, seq: number, floor: number, index: number): SessionVerdict {
    const s = this.sessions.get(session);
    if (!s) return { kind: 'expired' };
    this.touch(session, s, index);
    if (floor > s.floor) {
      s.floor = floor;
      for (const done of s.results.keys()) if (done < floor) s.results.delete(done);
    }
    if (seq < s.floor) return { kind: 'stale' };
    if (s.results.has(seq)) {
      const result = s.results.get(seq);
      return result === ABANDONED ? { kind: 'abandoned' } : { kind: 'duplicate', result };
    }
    return { kind: 'execute' };
  }

  /**
   * The client gave up on command (session, seq) without knowing whether it
   * was applied: if it was, answers its result; if not, makes sure no copy
   * still in flight ever executes it. The client keeps `seq` above its floor
   * until this is applied, so the answer is never forgotten first.
   */
  abandon(session: number, seq: number, index: number): AbandonVerdict {
    const s = this.sessions.get(session);
    if (!s) return { kind: 'expired' };
    this.touch(session, s, index);
    if (seq < s.floor) return { kind: 'stale' };
    if (s.results.has(seq)) {
      const result = s.results.get(seq);
      return result === ABANDONED ? { kind: 'abandoned' } : { kind: 'executed', result };
    }
    this.record(session, seq, ABANDONED);
    return { kind: 'abandoned' };
  }

  /** Records the result of a command check() said to execute. */
  record(session: number, seq: number, result: unknown): void {
    const s = this.sessions.get(session);
    if (!s) throw new BatonError('BATON_PROTOCOL', `record for unknown session ${session}`);
    s.results.set(seq, result);
    if (s.results.size > this.limits.resultsPerSessionMax) this.sessions.delete(session);
  }

  toSnapshot(): ClientSessionsSnapshot {
    return {
      sessions: [...this.sessions].map(([id, s]) => ({
        id,
        floor: s.floor,
        lastIndex: s.lastIndex,
        results: [...s.results].filter(([, r]) => r !== ABANDONED),
        ...(hasAbandoned(s)
          ? { abandoned: [...s.results].filter(([, r]) => r === ABANDONED).map(([seq]) => seq) }
          : {}),
      })),
    };
  }

  /** Replaces the table with a snapshot's (sessions in the snapshot's order, which is last use). */
  restore(snapshot: ClientSessionsSnapshot): void {
    this.sessions.clear();
    for (const s of snapshot.sessions) {
      const results = new Map<number, unknown>(s.results);
      for (const seq of s.abandoned ?? []) results.set(seq, ABANDONED);
      this.sessions.set(s.id, { floor: s.floor, lastIndex: s.lastIndex, results });
    }
  }

  private touch(id: number, s: Session, index: number): void {
    s.lastIndex = index;
    this.sessions.delete(id);
    this.sessions.set(id, s);
  }

  private evictIdle(): void {
    while (this.sessions.size > this.limits.sessionsMax) {
      const idlest = this.sessions.keys().next().value;
      if (idlest === undefined) return;
      this.sessions.delete(idlest);
    }
  }
}

function hasAbandoned(s: Session): boolean {
  for (const r of s.results.values()) if (r === ABANDONED) return true;
  return false;
}
