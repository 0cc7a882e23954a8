import { isBatonError } from '../../errors.js';
import type { MemberId } from '../../raft/types.js';
import type { LockSpace } from '../../state/coordination-commands.js';
import type { Rng } from '../rng.js';
import { HeldGrants, type SimGrant } from './held-grants.js';
import { callInMember } from './member-call.js';
import { type RecipeAcquireOptions, RecipeClient } from './recipe-client.js';
import type { RuntimeSim } from './runtime-sim.js';

/** The shape of a LockWorkload: who asks for what, how long they wait and hold. */
export interface LockWorkloadOptions {
  readonly members: readonly MemberId[];
  /** TTL of every lease (at least the maximum election timeout, as Cluster.grantLease demands). */
  readonly ttlMs: number;
  readonly lockNames: readonly string[];
  readonly electionNames: readonly string[];
  /** Clients taking locks, each one lock at a time. */
  readonly lockWorkers: number;
  /** Clients campaigning in the named elections. */
  readonly candidates: number;
  /** Clients granting and revoking bare leases. */
  readonly leaseWorkers: number;
  /** `Locks` instances per member (its workers share each one's lease). */
  readonly instancesPerMember: number;
  /** A client waits a time drawn from this range between two operations, ms. */
  readonly thinkMs: readonly [number, number];
  /** `waitMs` of an acquire that has one, and the time after which an aborted wait is aborted, ms. */
  readonly waitMs: readonly [number, number];
  /** How long a grant is held before it is released, ms (some are held past the TTL, on keep-alives). */
  readonly holdMs: readonly [number, number];
}

/** How a release ended for its client. */
export type ReleaseOutcome =
  /** Answered released by its first attempt. */
  | 'released'
  /** Answered BATON_NOT_HELD by its first attempt: the grant must have ended by its lease. */
  | 'not-held'
  /** The first attempt's outcome was unknown; later attempts went on until an answer. */
  | 'retried'
  /** Its member crashed before an answer. */
  | 'crashed';

/** What the clients did, by outcome. */
export type LockWorkloadCounts = Record<
  | 'acquires'
  | 'granted'
  | 'tryHeld'
  | 'timedOut'
  | 'aborted'
  | 'lost'
  | 'otherErrors'
  | 'crashed'
  | 'released'
  | 'notHeld'
  | 'staleReleases'
  | 'campaigns'
  | 'won'
  | 'closes'
  | 'leasesGranted'
  | 'leasesRevoked',
  number
>;

/** How an acquire waits: up to a waitMs, until its signal aborts (drawn), until the workload stops, or not at all. */
export type AcquireMode = 'wait' | 'abort' | 'forever' | 'try';

/**
 * Clients of the coordination layer in a RuntimeSim, during its faults,
 * every call made inside a running member (RecipeClient, the recipe of
 * `@baton/lock` and `@baton/election`):
 * - lock workers pick a member, one of its `Locks` instances and a lock, and
 *   acquire it with a `waitMs`, with a signal aborted after a while, with no
 *   limit (aborted when the workload stops), or as a tryAcquire; hold the
 *   grant for a while (some past the TTL) and release it — retrying a
 *   release whose outcome was unknown, now and then closing the whole
 *   instance instead, and now and then first sending a stale release (an
 *   earlier token of the same lease and lock), which must be refused;
 * - candidates campaign in the named elections (some aborted), hold the win
 *   for a while and resign;
 * - lease workers grant bare leases and revoke most of them later.
 * Every grant handed to a client goes to `held`, whose checks RuntimeSim
 * runs after every event; releases are kept for the checks after healing.
 * Every choice comes from `rng`.
 */
export class LockWorkload {
  readonly held: HeldGrants;
  readonly releases: { readonly grant: SimGrant; readonly outcome: ReleaseOutcome }[] = [];
  readonly counts: LockWorkloadCounts = {
    acquires: 0,
    granted: 0,
    tryHeld: 0,
    timedOut: 0,
    aborted: 0,
    lost: 0,
    otherErrors: 0,
    crashed: 0,
    released: 0,
    notHeld: 0,
    staleReleases: 0,
    campaigns: 0,
    won: 0,
    closes: 0,
    leasesGranted: 0,
    leasesRevoked: 0,
  };
  /** How the last acquire ended when it got no grant (reports). */
  lastFailure = '';
  private running = false;
  private workers = 0;
  /** What each client is doing now (reported when clients do not finish). */
  private readonly doing = new Map<string, string>();
  private violation: string | undefined;
  /** Recipe instances by `member/incarnation/slot`: one Locks per slot, one Election per name. */
  private readonly clients = new Map<string, RecipeClient>();
  /** Clients sleeping (thinking, holding), woken when the workload stops. */
  private readonly wakers = new Set<() => void>();
  /** Waits with no limit, aborted when the workload stops. */
  private readonly unlimited = new Set<{ member: MemberId; controller: AbortController }>();
  /** The last token each instance released per lock, for stale releases. */
  private readonly lastReleased = new Map<string, number>();

  constructor(
    private readonly sim: RuntimeSim,
    private readonly rng: Rng,
    readonly opts: LockWorkloadOptions,
  ) {
    this.held = new HeldGrants(() => sim.nowMs);
    sim.effects.onGranted = (space, name, fencingToken) => this.held.grantedInLog(space, name, fencingToken);
    sim.addCheck(() => {
      if (this.violation !== undefined) throw new Error(this.violation);
      this.held.check();
    });
  }

  /** Starts the clients. */
  start(): void {
    this.running = true;
    const { lockWorkers, candidates, leaseWorkers } = this.opts;
    for (let i = 0; i < lockWorkers; i++) this.spawn(`lock:${i}`, (who, rng) => this.lockWorker(who, rng));
    for (let i = 0; i < candidates; i++) this.spawn(`candidate:${i}`, (who, rng) => this.candidate(who, rng));
    for (let i = 0; i < leaseWorkers; i++) this.spawn(`lease:${i}`, (who, rng) => this.leaseWorker(who, rng));
  }

  /** Clients start nothing new; waits with no limit are aborted (in their members). */
  stop(): void {
    this.running = false;
    for (const wake of [...this.wakers]) wake();
    for (const u of this.unlimited) this.sim.runOn(u.member, () => u.controller.abort('workload stopped'));
  }

  /** Every client has finished (its last call settled, its grant released). */
  get idle(): boolean {
    return this.workers === 0;
  }

  /** What the clients still at work are doing. */
  busy(): string {
    return [...this.doing].map(([who, what]) => `${who}: ${what}`).join('; ');
  }

  /**
   * A recipe instance on `member`'s running incarnation (`slot` names it),
   * made on first use, its lease of `ttlMs` (default: the workload's).
   */
  client(member: MemberId, slot: string, ttlMs: number = this.opts.ttlMs): RecipeClient | undefined {
    const services = this.sim.services(member);
    if (!services) return undefined;
    const key = `${member}/${services.incarnation}/${slot}`;
    let client = this.clients.get(key);
    if (!client) {
      const { incarnation } = services;
      client = new RecipeClient(
        member,
        services,
        ttlMs,
        this.held,
        () => this.sim.clock.nowUs,
        () => this.sim.isRunning(member, incarnation),
      );
      this.clients.set(key, client);
    }
    return client;
  }

  /**
   * Acquires inside the client's member; the grant, or undefined (taken, or
   * failed: counted by its error). `mode` decides how long it waits.
   */
  async acquire(
    client: RecipeClient,
    space: LockSpace,
    name: string,
    mode: AcquireMode,
    rng: Rng,
    waitMs: number = rng.real(...this.opts.waitMs),
  ): Promise<SimGrant | undefined> {
    const controller = new AbortController();
    const unlimited = { member: client.member, controller };
    const options: RecipeAcquireOptions = {
      wait: mode !== 'try',
      waitMs: mode === 'wait' ? waitMs : undefined,
      signal: mode === 'wait' || mode === 'try' ? undefined : controller.signal,
      value: space === 'election' ? client.member : undefined,
    };
    const abortAfterMs = rng.real(...this.opts.waitMs);
    if (mode === 'forever') this.unlimited.add(unlimited);
    this.counts[space === 'election' ? 'campaigns' : 'acquires']++;
    const outcome = await callInMember(this.sim, client.member, client.incarnation, () => {
      // The application's own timer, in its own process.
      if (mode === 'abort')
        this.sim
          .services(client.member)
          ?.env.timers.setTimeout(() => controller.abort('gave up'), abortAfterMs);
      return client.acquire(space, name, options);
    });
    this.unlimited.delete(unlimited);
    this.lastFailure = outcome.kind === 'failed' ? String(outcome.error) : outcome.kind;
    if (outcome.kind === 'crashed') this.counts.crashed++;
    else if (outcome.kind === 'failed') this.countError(outcome.error);
    else if (outcome.value === undefined) this.counts.tryHeld++;
    else this.counts[space === 'election' ? 'won' : 'granted']++;
    return outcome.kind === 'done' ? outcome.value : undefined;
  }

  /**
   * Gives `grant` up inside its member (release or resign); an attempt whose
   * outcome is unknown is retried (the recipe's release is idempotent: a
   * retry finds the grant released, BATON_NOT_HELD) until an answer.
   */
  async release(client: RecipeClient, grant: SimGrant): Promise<void> {
    let attempt: () => Promise<void> = () => client.release(grant);
    for (let tries = 0; ; tries++) {
      const outcome = await callInMember(this.sim, client.member, client.incarnation, attempt);
      if (outcome.kind === 'crashed') return this.noteRelease(grant, 'crashed');
      if (outcome.kind === 'done') return this.noteRelease(grant, tries === 0 ? 'released' : 'retried');
      if (isBatonError(outcome.error, 'BATON_NOT_HELD')) {
        return this.noteRelease(grant, tries === 0 ? 'not-held' : 'retried');
      }
      attempt = () => client.releaseToken(grant.space, grant.name, grant.leaseId, grant.fencingToken);
      // Not interrupted by stop(): a release fails fast only when no leader is known, and then waiting helps.
      await new Promise<void>((resolve) => this.sim.after(this.opts.thinkMs[1], resolve));
    }
  }

  private noteRelease(grant: SimGrant, outcome: ReleaseOutcome): void {
    this.releases.push({ grant, outcome });
    if (outcome === 'released' || outcome === 'retried') this.counts.released++;
    else if (outcome === 'not-held') this.counts.notHeld++;
  }

  private spawn(who: string, worker: (who: string, rng: Rng) => Promise<void>): void {
    this.workers++;
    void worker(who, this.rng.fork(who)).finally(() => {
      this.workers--;
      this.doing.delete(who);
    });
  }

  private note(who: string, what: string): void {
    this.doing.set(who, `${what} since ${this.sim.nowMs.toFixed(0)} ms`);
  }

  private async lockWorker(who: string, rng: Rng): Promise<void> {
    while (this.running) {
      await this.sleep(rng.real(...this.opts.thinkMs));
      const member = this.pickMember(rng);
      if (!this.running || member === undefined) continue;
      const slot = `locks${rng.int(0, this.opts.instancesPerMember - 1)}`;
      const client = this.client(member, slot)!;
      const name = rng.pick(this.opts.lockNames);
      const mode = rng.pick<AcquireMode>(['wait', 'wait', 'abort', 'forever', 'try', 'try']);
      this.note(who, `acquiring lock:${name} (${mode}) on ${member} ${slot}`);
      const grant = await this.acquire(client, 'lock', name, mode, rng);
      if (!grant) continue;
      this.note(who, `holding ${grant.describe()}`);
      await this.sleep(this.holdTime(rng));
      const staleKey = `${client.member}/${client.incarnation}/${slot}/${name}/${grant.leaseId}`;
      const stale = this.lastReleased.get(staleKey);
      if (stale !== undefined && rng.chance(0.5)) await this.staleRelease(client, grant, stale);
      if (rng.chance(0.05)) {
        await this.close(client, slot);
        continue;
      }
      this.note(who, `releasing ${grant.describe()}`);
      await this.release(client, grant);
      if (this.releases.at(-1)?.outcome === 'released') this.lastReleased.set(staleKey, grant.fencingToken);
    }
  }

  /** A release of an earlier token of this lease while it holds a newer grant: it must be refused. */
  private async staleRelease(client: RecipeClient, grant: SimGrant, token: number): Promise<void> {
    this.counts.staleReleases++;
    const outcome = await callInMember(this.sim, client.member, client.incarnation, () =>
      client.releaseToken(grant.space, grant.name, grant.leaseId, token),
    );
    if (outcome.kind === 'done') {
      this.violation ??= `a stale release (token ${token}) of ${grant.key} on lease ${grant.leaseId} was answered released while token ${grant.fencingToken} held it`;
    }
  }

  /** Locks.close(): the instance's lease is revoked (its grants and waits end); a new instance takes the slot. */
  private async close(client: RecipeClient, slot: string): Promise<void> {
    this.counts.closes++;
    await callInMember(this.sim, client.member, client.incarnation, () => client.close());
    this.clients.delete(`${client.member}/${client.incarnation}/${slot}`);
  }

  private async candidate(who: string, rng: Rng): Promise<void> {
    while (this.running) {
      await this.sleep(rng.real(...this.opts.thinkMs));
      const member = this.pickMember(rng);
      if (!this.running || member === undefined) continue;
      const name = rng.pick(this.opts.electionNames);
      const client = this.client(member, `election:${name}`)!;
      this.note(who, `campaigning for ${name} on ${member}`);
      const grant = await this.acquire(client, 'election', name, rng.chance(0.4) ? 'abort' : 'forever', rng);
      if (!grant) continue;
      this.note(who, `leading ${grant.describe()}`);
      await this.sleep(this.holdTime(rng));
      this.note(who, `resigning ${grant.describe()}`);
      await this.release(client, grant);
    }
  }

  private async leaseWorker(who: string, rng: Rng): Promise<void> {
    while (this.running) {
      await this.sleep(rng.real(...this.opts.thinkMs) * 4);
      const member = this.pickMember(rng);
      const services = member === undefined ? undefined : this.sim.services(member);
      if (!this.running || member === undefined || !services) continue;
      const { incarnation, leases } = services;
      this.note(who, `granting a lease on ${member}`);
      const granted = await callInMember(this.sim, member, incarnation, () =>
        leases.grant(this.opts.ttlMs, { timeoutMs: 5000 }),
      );
      if (granted.kind !== 'done') continue;
      this.counts.leasesGranted++;
      this.note(who, `keeping lease ${granted.value.id} on ${member}`);
      await this.sleep(rng.real(0.2, 3) * this.opts.ttlMs);
      if (rng.chance(0.3)) continue; // left to its keep-alives
      this.note(who, `revoking lease ${granted.value.id} on ${member}`);
      const revoked = await callInMember(this.sim, member, incarnation, () => granted.value.revoke());
      if (revoked.kind === 'done') this.counts.leasesRevoked++;
    }
  }

  private countError(error: unknown): void {
    if (isBatonError(error, 'BATON_LOCK_TIMEOUT')) this.counts.timedOut++;
    else if (isBatonError(error, 'BATON_ABORTED')) this.counts.aborted++;
    else if (isBatonError(error, 'BATON_LOCK_LOST')) this.counts.lost++;
    else this.counts.otherErrors++;
  }

  /** Most holds are short; one in six outlasts the TTL, kept by keep-alives. */
  private holdTime(rng: Rng): number {
    return rng.chance(1 / 6) ? rng.real(1, 2) * this.opts.ttlMs : rng.real(...this.opts.holdMs);
  }

  private pickMember(rng: Rng): MemberId | undefined {
    const up = this.opts.members.filter((id) => this.sim.services(id) !== undefined);
    return up.length === 0 ? undefined : rng.pick(up);
  }

  /** Waits `ms` of global time, or until the workload stops (holds end early then). */
  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        timer.cancel();
        this.wakers.delete(wake);
        resolve();
      };
      const timer = this.sim.after(ms, wake);
      this.wakers.add(wake);
    });
  }
}
