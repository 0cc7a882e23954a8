import type { Env, Logger } from '../env.js';
import { BatonError } from '../errors.js';
import type { KeepAliveRequest, KeepAliveResponse, PeerMessage } from '../peer-message.js';
import type { MemberId } from '../raft/types.js';
import { encodeCommand } from '../state/command-codec.js';
import { encodeEnvelope } from '../state/command-envelope.js';
import type { CoordinationResult } from '../state/coordination-commands.js';
import type { CoordinationMachine } from './coordination-machine.js';
import type { LeadershipToken } from './leadership-token.js';
import type { Lease } from './lease.js';
import { LeaseClient } from './lease-client.js';
import { type KeepAliveAnswer, LeaseKeeper } from './lease-keeper.js';
import type { NodeLoop } from './node-loop.js';
import { untilAborted } from './until-aborted.js';

export interface LeaseServiceOptions {
  readonly memberId: MemberId;
  readonly env: Env;
  readonly driftBound: number;
  readonly logger: Logger;
  readonly machine: CoordinationMachine;
  readonly loop: NodeLoop;
  /** Proposes a command payload in this member's client session (Forwarder.submit). */
  readonly submit: (
    payload: Uint8Array,
    options: { signal?: AbortSignal | undefined; timeoutMs: number },
  ) => Promise<{ index: number; result: unknown }>;
  /** Hands a message to the transport; false when it was certainly not sent. */
  readonly send: (m: PeerMessage) => boolean;
  /** How long a keep-alive waits for the leader's answer before the round counts as unanswered. */
  readonly answerTimeoutMs: number;
  /** How long a revocation may take. */
  readonly requestTimeoutMs: number;
}

/**
 * Leases on one member (DESIGN.md §2.3): grants and revocations are logged
 * commands; keep-alives are not — they travel to the leader as keepAlive
 * messages (or straight to this member's LeaseKeeper when it leads). While
 * this member holds a leadership token its LeaseKeeper times every lease and
 * proposes expiries; the coordination state's effects tell both sides when
 * a lease appears or ends.
 */
export class LeaseService {
  readonly keeper: LeaseKeeper;
  readonly client: LeaseClient;
  private readonly pending = new Map<string, (answer: KeepAliveAnswer) => void>();
  private readonly unsubscribe: () => void;
  private stopped = false;
  /** The leadership the keeper's deadlines were restarted under; none while it does not lead. */
  private keeperToken: LeadershipToken | undefined;

  constructor(private readonly opts: LeaseServiceOptions) {
    const { env, loop } = opts;
    this.keeper = new LeaseKeeper({
      clock: env.clock,
      timers: env.timers,
      // Under the leadership its deadlines were restarted for, not merely some leadership: in a
      // later term they must be restarted again (a new token comes with a new startLeading).
      isSoleLeader: () => this.keeperToken?.valid === true && loop.leadership.current() === this.keeperToken,
      appliedIndex: () => loop.status().appliedIndex,
      expire: (leaseId, done) => this.proposeExpiry(leaseId, done),
    });
    this.client = new LeaseClient({
      clock: env.clock,
      timers: env.timers,
      driftBound: opts.driftBound,
      keepAlive: (ids) => this.keepAlive(ids),
      revoke: (leaseId) => this.revoke(leaseId),
      logger: opts.logger,
    });
    this.unsubscribe = opts.machine.onEffect((effect) => {
      if (effect.type === 'leaseGranted')
        this.keeper.granted({ leaseId: effect.leaseId, ttlMs: effect.ttlMs });
      else if (effect.type === 'leaseEnded') {
        this.keeper.removed(effect.leaseId);
        this.client.removed(effect.leaseId, effect.reason);
      }
    });
    void this.timeWhileLeading();
  }

  /**
   * Grants a lease of `ttlMs` owned by this member and keeps it alive. Its
   * deadline counts from the moment the grant was first sent.
   */
  async grant(
    ttlMs: number,
    options: { signal?: AbortSignal | undefined; timeoutMs: number },
  ): Promise<Lease> {
    const sentAt = this.opts.env.clock.now();
    const command = encodeCommand({ type: 'grantLease', ttlMs, owner: this.opts.memberId });
    const { result } = await this.opts.submit(command, options);
    const r = result as CoordinationResult;
    if (r.type === 'leaseGranted') return this.client.track(r.leaseId, r.ttlMs, sentAt);
    if (r.type === 'error' && r.code === 'invalid-ttl') {
      throw new BatonError('BATON_CONFIG', `ttlMs must be an integer of at least 1 ms, got ${ttlMs}`, {
        field: 'ttlMs',
        value: ttlMs,
      });
    }
    throw new BatonError(
      'BATON_UNAVAILABLE',
      `the lease was not granted (${r.type === 'error' ? r.code : r.type})`,
    );
  }

  /** A keep-alive message, or the leader's answer to one of ours. */
  onMessage(m: KeepAliveRequest | KeepAliveResponse): void {
    if (m.type === 'keepAliveResp') {
      this.pending.get(m.requestId)?.(m.errorCode === '' ? { ok: true, ttlsMs: m.ttlsMs } : { ok: false });
      return;
    }
    const answer = this.stopped ? ({ ok: false } as const) : this.keeper.keepAlive(m.leaseIds);
    this.opts.logger.debug({ from: m.from, leases: m.leaseIds, answer }, 'keep-alive answered');
    this.opts.send({
      type: 'keepAliveResp',
      from: this.opts.memberId,
      to: m.from,
      term: this.opts.loop.status().term,
      requestId: m.requestId,
      errorCode: answer.ok ? '' : 'BATON_NOT_LEADER',
      ttlsMs: answer.ok ? answer.ttlsMs : [],
    });
  }

  /** Aborts every lease of this member (cause 'stopped') and stops timing leases. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.unsubscribe();
    this.client.stop();
    this.keeper.stopLeading();
    for (const resolve of this.pending.values()) resolve({ ok: false });
    this.pending.clear();
  }

  /** While this member holds a leadership token, its LeaseKeeper times every lease (each restarted in full). */
  private async timeWhileLeading(): Promise<void> {
    const { loop, machine } = this.opts;
    while (!this.stopped) {
      let token: Awaited<ReturnType<NodeLoop['leadership']['wait']>>;
      try {
        token = await loop.leadership.wait();
      } catch {
        return; // the member stopped
      }
      if (this.stopped) return;
      const leases = machine.state.leases();
      this.opts.logger.debug(
        { term: token.term, leases: leases.map((l) => l.leaseId) },
        'lease keeper leads',
      );
      this.keeperToken = token;
      this.keeper.startLeading(leases);
      await untilAborted(token.signal);
      this.keeper.stopLeading();
      this.keeperToken = undefined;
      this.opts.logger.debug({ term: token.term }, 'lease keeper stops leading');
    }
  }

  private keepAlive(leaseIds: readonly number[]): Promise<KeepAliveAnswer> {
    const { loop, env } = this.opts;
    const leaderId = loop.status().leaderId;
    if (leaderId === this.opts.memberId) return Promise.resolve(this.keeper.keepAlive(leaseIds));
    if (leaderId === undefined || this.stopped) return Promise.resolve({ ok: false });
    const requestId = env.newId();
    return new Promise((resolve) => {
      const finish = (answer: KeepAliveAnswer) => {
        this.pending.delete(requestId);
        timer.cancel();
        resolve(answer);
      };
      const timer = env.timers.setTimeout(() => finish({ ok: false }), this.opts.answerTimeoutMs);
      this.pending.set(requestId, finish);
      const sent = this.opts.send({
        type: 'keepAlive',
        from: this.opts.memberId,
        to: leaderId,
        term: loop.status().term,
        requestId,
        leaseIds,
      });
      if (!sent) finish({ ok: false });
    });
  }

  private async revoke(leaseId: number): Promise<void> {
    await this.opts.submit(encodeCommand({ type: 'revokeLease', leaseId }), {
      timeoutMs: this.opts.requestTimeoutMs,
    });
  }

  /** Leader: the expiry is a plain command (nobody retries it; a second one answers unknown-lease). */
  private proposeExpiry(leaseId: number, done: (ok: boolean) => void): void {
    const { loop } = this.opts;
    this.opts.logger.debug({ lease: leaseId }, 'lease expiry proposed');
    try {
      const payload = encodeCommand({ type: 'expireLease', leaseId });
      const { index, term } = loop.append(encodeEnvelope({ kind: 'plain', payload }));
      loop.awaitApplied(index, term).promise.then(
        () => done(true),
        () => done(false),
      );
    } catch {
      done(false);
    }
  }
}
