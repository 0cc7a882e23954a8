import type { MemberEvent } from './chaos-cluster.js';
import { FencedStore } from './fenced-store.js';
import { RegisterHistory } from './register-history.js';
import { ValidityLog } from './validity-log.js';

/**
 * Everything a run observed, reduced from the members' events as they
 * arrive (a long run produces millions of events; none are kept whole).
 */
export class RunRecord {
  readonly validity = new ValidityLog();
  readonly history = new RegisterHistory();
  readonly store = new FencedStore();
  /** Increments workers were told succeeded, per lock name. */
  readonly acknowledged = new Map<string, number>();
  readonly incOutcomes = { ok: 0, stale: 0, conflict: 0, 'not-valid': 0 };
  /** Workload errors by workload and code, e.g. 'lock BATON_LOCK_TIMEOUT'. */
  readonly errors = new Map<string, number>();
  readonly leases = { grant: 0, revoke: 0 };
  /** Errors members reported outside a workload (a member that stopped itself). */
  readonly memberErrors: string[] = [];
  /** Each member's latest role and term, cleared when it exits. */
  private readonly roles = new Map<string, { role: string; term: number }>();
  /** When a register operation last succeeded (monotonic ms), for the liveness check after healing. */
  lastRegisterOkAt = 0;

  /** Handles one event; returns the store's reply when the event is a store access. */
  onEvent(
    e: MemberEvent,
  ): { rid: number; ok: boolean; value?: number; refusal?: 'stale' | 'conflict' } | undefined {
    switch (e.ev) {
      case 'role':
        this.roles.set(e.id, { role: e.role, term: e.term });
        break;
      case 'valid':
        this.validity.onValid(e.id, e.life, e.kind, e.key, e.token, e.at);
        break;
      case 'seen':
        this.validity.onSeen(e.id, e.life, e.kind, e.key, e.token, e.at);
        break;
      case 'end':
        this.validity.onEnd(e.id, e.life, e.kind, e.key, e.token, e.lastTrueAt);
        break;
      case 'store': {
        const user = { id: e.id, life: e.life };
        const reply =
          e.op === 'read'
            ? this.store.read(e.name, e.token, user)
            : this.store.increment(e.name, e.token, e.value ?? 0, user);
        return { rid: e.rid, ...reply };
      }
      case 'inc':
        this.incOutcomes[e.outcome]++;
        if (e.outcome === 'ok') this.acknowledged.set(e.name, (this.acknowledged.get(e.name) ?? 0) + 1);
        break;
      case 'op-error':
        this.count(`${e.workload} ${e.code}`);
        break;
      case 'lease':
        this.leases[e.op]++;
        break;
      case 'reg-invoke':
        this.history.invoke(
          e.id,
          e.life,
          e.n,
          e.key,
          e.op === 'write' ? { op: 'write', value: e.value ?? '' } : { op: 'read' },
          e.at,
        );
        break;
      case 'reg-ok':
        this.history.ok(e.id, e.life, e.n, e.output, e.at);
        this.lastRegisterOkAt = e.at;
        break;
      case 'reg-fail':
        this.history.fail(e.id, e.life, e.n, e.outcome);
        this.count(`register ${e.code}`);
        break;
      case 'error':
        this.memberErrors.push(`${e.id}/${e.life}: ${e.code} ${e.message}`);
        break;
    }
    return undefined;
  }

  onExit(id: string, life: number): void {
    this.validity.onExit(id, life);
    this.roles.delete(id);
  }

  /** The member that most recently reported leading, in the highest term, if it still runs. */
  leader(): string | undefined {
    let best: { id: string; term: number } | undefined;
    for (const [id, { role, term }] of this.roles) {
      if (role === 'leader' && (best === undefined || term > best.term)) best = { id, term };
    }
    return best?.id;
  }

  private count(key: string): void {
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
  }
}
