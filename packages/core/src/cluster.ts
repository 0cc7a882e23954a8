import { EventEmitter } from 'eventemitter3';
import { destination, pino } from 'pino';
import {
  CAMPAIGN_MARGIN_TICKS,
  type ClusterOptions,
  type ResolvedClusterOptions,
  resolveClusterOptions,
} from './cluster-options.js';
import { createPeerTransport } from './cluster-transport.js';
import { Coordination } from './coordination.js';
import type { Env, Logger } from './env.js';
import { BatonError } from './errors.js';
import { isRaftMessage } from './peer-message.js';
import type { LogIndex, MemberId, Role } from './raft/types.js';
import { realEnv } from './real-env.js';
import { withContext } from './runtime/context-logger.js';
import { CoordinationMachine } from './runtime/coordination-machine.js';
import { Forwarder } from './runtime/forwarder.js';
import type { LeadershipToken } from './runtime/leadership-token.js';
import type { Lease } from './runtime/lease.js';
import { LeaseService } from './runtime/lease-service.js';
import { NodeLoop } from './runtime/node-loop.js';
import type { StateMachine } from './runtime/state-machine.js';
import { TTL_MS_MAX } from './state/coordination-limits.js';
import { Histogram } from './status/histogram.js';
import type { StatusSource } from './status/status-report.js';
import { StatusServer } from './status/status-server.js';
import { FileStorage } from './storage/file-storage.js';
import type { LogStorage } from './storage/log-storage.js';
import { identityOf } from './storage/member-identity.js';
import { MemoryStorage } from './storage/memory-storage.js';
import type { WsTransport } from './transport/ws-transport.js';

/** How long internal requests wait for a leader by default. */
const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

/** The public role names: the core's pre-candidate is reported as a candidate. */
export type ClusterRole = 'follower' | 'candidate' | 'leader';

/**
 * A snapshot of this member's own view, as `cluster.status()` returns it.
 * Local and not linearizable: a follower cut off from the leader reports the
 * last leader it heard of until an election tells it otherwise.
 */
export interface ClusterStatus {
  /** This member's id. */
  readonly id: MemberId;
  /** This member's role now. */
  readonly role: ClusterRole;
  /** The newest Raft term this member knows. */
  readonly term: number;
  /** The leader this member knows of in `term`, or `undefined` while none is known (an election is under way). */
  readonly leaderId: MemberId | undefined;
  /** The highest log index this member knows to be committed. */
  readonly commitIndex: LogIndex;
  /** The highest log index this member's state machine has applied (≤ `commitIndex`). */
  readonly appliedIndex: LogIndex;
  /** The members of the configuration this member knows, voters first. */
  readonly members: readonly {
    /** The member's id. */
    readonly id: MemberId;
    /** True for a voting member; false for a learner (not reachable through the API yet). */
    readonly voter: boolean;
  }[];
}

/**
 * The events a `Cluster` emits (eventemitter3, typed). `role` and `leader`
 * report changes from the state the member had when `Cluster.start`
 * returned; changes during storage recovery are not replayed.
 */
export interface ClusterEvents {
  /** This member's role or term changed. A pre-candidate is reported as `'candidate'`. */
  role: (role: ClusterRole, term: number) => void;
  /**
   * The leader this member knows changed, or a new term began. `leaderId` is
   * `undefined` when a term starts with no leader known yet (an election is
   * under way); the winner is reported by a later event.
   */
  leader: (leaderId: MemberId | undefined, term: number) => void;
  /** The member stopped because it could not go on safely (e.g. its disk failed). */
  error: (error: unknown) => void;
}

/**
 * One member of a Baton cluster (DESIGN.md §1). `Cluster.start` recovers
 * storage and listens; it does not wait for a leader.
 */
export class Cluster extends EventEmitter<ClusterEvents> {
  /** This member's id (the `id` option). */
  readonly id: MemberId;
  private readonly loop: NodeLoop;
  private readonly forwarder: Forwarder;
  private readonly transport: WsTransport;
  private readonly storage: LogStorage;
  private readonly logger: Logger;
  private stopping: Promise<void> | undefined;
  /** The state last reported by events; starts as the loop's when start returns (no listener existed before). */
  private lastSoft: { role: ClusterRole; term: number; leaderId: MemberId | undefined };
  private readonly options: ResolvedClusterOptions;
  private readonly env: Env;
  /** The port this member listens on (useful with listen.port 0). */
  readonly port: number;

  /** How long commands proposed here took, until applied here. */
  private readonly commandLatency = new Histogram();
  private readonly counters = { leaderChanges: 0, termsLed: 0 };
  private statusServer: StatusServer | undefined;
  /** Undefined when a test replaced the state machine (coordination calls then fail BATON_UNAVAILABLE). */
  private readonly machine: CoordinationMachine | undefined;
  private readonly leases: LeaseService | undefined;
  private readonly coordinationSurface: Coordination | undefined;

  private constructor(parts: {
    options: ResolvedClusterOptions;
    loop: NodeLoop;
    transport: WsTransport;
    storage: LogStorage;
    logger: Logger;
    port: number;
    env: Env;
    machine: CoordinationMachine | undefined;
  }) {
    super();
    this.id = parts.options.id;
    this.options = parts.options;
    this.loop = parts.loop;
    const initial = parts.loop.status();
    this.lastSoft = { role: publicRole(initial.role), term: initial.term, leaderId: initial.leaderId };
    this.forwarder = new Forwarder({
      loop: parts.loop,
      env: parts.env,
      send: (m) => parts.transport.send(m),
      logger: parts.logger,
      answerTimeoutMs: 2 * parts.options.electionTimeoutMs[1],
      pendingMax: 4096,
      // A heartbeat round takes one round trip; a read still unconfirmed after a minimum
      // election timeout most likely lost its request or answer on a link that went down.
      readRetryMs: parts.options.electionTimeoutMs[0],
      // About when a redialled link is up again (reconnects back off from 20 ms).
      unsentRetryMs: parts.options.heartbeatMs,
      commandLatency: this.commandLatency,
    });
    this.transport = parts.transport;
    this.storage = parts.storage;
    this.logger = parts.logger;
    this.port = parts.port;
    this.env = parts.env;
    this.machine = parts.machine;
    if (parts.machine) {
      this.coordinationSurface = new Coordination(
        parts.machine,
        this.forwarder,
        DEFAULT_REQUEST_TIMEOUT_MS,
        parts.env,
      );
      this.leases = new LeaseService({
        memberId: this.id,
        env: parts.env,
        driftBound: parts.options.driftBound,
        logger: parts.logger,
        machine: parts.machine,
        loop: parts.loop,
        submit: (payload, options) => this.forwarder.submit(payload, options),
        send: (m) => parts.transport.send(m),
        // A keep-alive unanswered after a maximum election timeout is lost, or the leader is gone.
        answerTimeoutMs: parts.options.electionTimeoutMs[1],
        requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
      });
    }
  }

  /**
   * Validates options (BATON_CONFIG naming the field), takes the dataDir's
   * lock, recovers storage, listens, and starts the member. Resolves once the
   * member listens; it does not wait for a leader. Rejects BATON_CONFIG for
   * bad options, a dataDir in use or one that belongs to another member or
   * cluster, and BATON_STORAGE_CORRUPT for a damaged log; nothing stays open
   * after a failed start.
   *
   * @param input - The options; see {@link ClusterOptions}. The object is not modified.
   * @param internal - Test hooks (a virtual environment, a replaced state
   *   machine or storage). Not for applications: not covered by semver.
   */
  static async start(
    input: ClusterOptions,
    internal: { env?: Env; stateMachine?: StateMachine; storage?: LogStorage } = {},
  ): Promise<Cluster> {
    const options = resolveClusterOptions(input);
    const env = internal.env ?? realEnv();
    // A library writes to stdout only if asked: the default goes to stderr, and stays quiet below warn.
    const base: Logger =
      options.logger ?? pino({ level: options.logLevel }, destination({ dest: 2, sync: true }));
    let cluster: Cluster | undefined;
    // A failure of the loop before the Cluster exists (in its first Ready) fails start itself.
    let earlyFatal: { error: unknown } | undefined;
    // Every line says who, in which term and role.
    const logger = withContext(base, options.id, () => cluster?.loop.status());
    // Built first: it checks the TLS material, and nothing is held open yet if that fails.
    const transport = createPeerTransport(options, env, logger, (m) => {
      if (isRaftMessage(m)) cluster?.loop.step(m);
      else if (m.type === 'forward' || m.type === 'forwardResp') cluster?.forwarder.onMessage(m);
      else cluster?.leases?.onMessage(m);
    });
    const machine = internal.stateMachine ? undefined : new CoordinationMachine(logger);
    let storage: LogStorage | undefined;
    let loop: NodeLoop | undefined;
    try {
      storage =
        internal.storage ??
        (options.dataDir === ':memory:'
          ? new MemoryStorage()
          : await FileStorage.open(options.dataDir, {
              logger,
              identity: identityOf(options.id, options.clusterName, Object.keys(options.members)),
            }));
      const port = (await transport.listen()).port;
      loop = await NodeLoop.start({
        raft: {
          id: options.id,
          initialVoters: Object.keys(options.members),
          heartbeatTicks: options.heartbeatTicks,
          electionTicks: options.electionTicks,
          electionTicksMax: options.electionTicksMax,
          campaignMarginTicks: CAMPAIGN_MARGIN_TICKS,
          // Batches of entries must fit one frame with room for the framing.
          bytesPerMessageMax: options.batchBytesMax,
        },
        commandBytesMax: options.commandBytesMax,
        tickMs: options.tickMs,
        leaseMs: options.leaseMs,
        snapshotEntries: options.snapshotEntries,
        env,
        storage,
        send: (m) => transport.send(m),
        stateMachine: internal.stateMachine ?? machine!,
        logger,
        onSoftState: (soft) => cluster?.onSoftState(soft.role, soft.term, soft.leaderId),
        onFatal: (error) => {
          if (cluster) cluster.onFatal(error);
          else earlyFatal ??= { error };
        },
      });
      // Recovery ends with the first Ready (e.g. applying entries committed before the restart):
      // a member that fails in it is not started.
      await loop.settle();
      if (earlyFatal) throw earlyFatal.error;
      transport.setPeers(options.members);
      cluster = new Cluster({ options, loop, transport, storage, logger, port, env, machine });
      if (options.status) {
        cluster.statusServer = await StatusServer.start(
          cluster.statusSource(),
          options.status.host,
          options.status.port,
          logger,
        );
      }
      logger.info(
        { port, dataDir: options.dataDir, members: Object.keys(options.members) },
        'member started',
      );
      return cluster;
    } catch (error) {
      // Nothing may stay behind: not the listeners, not the ticking loop, not the dataDir lock.
      await cluster?.statusServer?.close();
      await loop?.stop();
      await transport.close();
      await storage?.close();
      throw error;
    }
  }

  /** This member's role now (a pre-candidate reads `'candidate'`). */
  get role(): ClusterRole {
    return publicRole(this.loop.status().role);
  }

  /** The newest Raft term this member knows. */
  get term(): number {
    return this.loop.status().term;
  }

  /** The leader this member knows of in its current term, or `undefined` while none is known. Not linearizable. */
  get leaderId(): MemberId | undefined {
    return this.loop.status().leaderId;
  }

  /** This member's view now: role, term, leader, commit and applied index, configuration. Local, not linearizable. */
  status(): ClusterStatus {
    const s = this.loop.status();
    const config = this.loop.config();
    return {
      id: s.id,
      role: publicRole(s.role),
      term: s.term,
      leaderId: s.leaderId,
      commitIndex: s.commitIndex,
      appliedIndex: s.appliedIndex,
      members: [
        ...config.voters.map((id) => ({ id, voter: true })),
        ...config.learners.map((id) => ({ id, voter: false })),
      ],
    };
  }

  /**
   * Resolves once this member leads and has committed and applied an entry
   * of its own term, with a token whose signal aborts the moment leadership
   * can no longer be guaranteed (DESIGN.md §2.1). The token's `valid` is true
   * when it resolves. Waits as long as it takes (there is no timeout); rejects
   * BATON_ABORTED when `signal` aborts, BATON_STOPPED when the member stops.
   * Every call made in one leadership gets the same token.
   */
  leadership(options: { signal?: AbortSignal } = {}): Promise<LeadershipToken> {
    return this.loop.leadership.wait(options.signal);
  }

  /**
   * Grants a lease of `ttlMs` owned by this member (DESIGN.md §1, §2.3) and
   * keeps it alive from here — across leader changes, a keep-alive every
   * third of the TTL. Its signal aborts (BATON_LEASE_EXPIRED, with a cause)
   * no later than the moment the leader could expire it. `ttlMs` must be at
   * least the maximum election timeout (BATON_CONFIG otherwise); a lease
   * meant to survive a leader's failover wants several.
   */
  async grantLease(options: { ttlMs: number; signal?: AbortSignal; timeoutMs?: number }): Promise<Lease> {
    const leases = this.requireCoordination() && this.leases!;
    const minMs = this.options.electionTimeoutMs[1];
    const { ttlMs } = options;
    if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < minMs || ttlMs > TTL_MS_MAX) {
      throw new BatonError(
        'BATON_CONFIG',
        `ttlMs must be a whole number of milliseconds from ${minMs} (the maximum election timeout) to ${TTL_MS_MAX}, got ${String(ttlMs)}`,
        { field: 'ttlMs', value: ttlMs },
      );
    }
    return await leases.grant(ttlMs, {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
  }

  /**
   * The coordination surface (typed commands, linearizable reads, the effect
   * stream) that `@baton/lock` and `@baton/election` are built on.
   */
  get coordination(): Coordination {
    this.requireCoordination();
    return this.coordinationSurface!;
  }

  /** The port of this member's status page, when `status` was given. */
  get statusPort(): number | undefined {
    return this.statusServer?.port;
  }

  /** What the status page reads. */
  private statusSource(): StatusSource {
    return {
      id: this.id,
      status: () => this.status(),
      view: () => this.machine?.state,
      leaseRemainingMs: (leaseId) => {
        const deadline = this.leases?.keeper.deadlineOf(leaseId);
        return deadline === undefined ? undefined : Math.max(0, deadline - this.env.clock.now());
      },
      counters: () => ({ ...this.counters }),
      storage: () =>
        this.storage instanceof FileStorage
          ? { ...this.storage.stats(), fsyncLatency: this.storage.fsyncLatency }
          : undefined,
      commandLatency: this.commandLatency,
    };
  }

  private requireCoordination(): true {
    if (this.coordinationSurface === undefined) {
      throw new BatonError('BATON_UNAVAILABLE', 'this member runs a replaced state machine: no coordination');
    }
    if (this.stopping) throw new BatonError('BATON_STOPPED', 'the cluster member has stopped');
    return true;
  }

  /**
   * @internal Proposes a command through the leader (forwarded when this
   * member follows) and resolves once it is committed and applied on this
   * member. Used by the coordination layer and by tests.
   */
  propose(
    data: Uint8Array,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ index: LogIndex; result: unknown }> {
    return this.forwarder.submit(data, {
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
  }

  /** @internal Write-ahead log counters (fsyncs, records, bytes) when storage is on disk; for benchmarks. */
  storageStats(): { fsyncs: number; records: number; bytes: number } | undefined {
    return this.storage instanceof FileStorage ? this.storage.stats() : undefined;
  }

  /** @internal A linearizable read point on this member (ReadIndex). */
  readIndex(options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<LogIndex> {
    return this.forwarder.read({
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    });
  }

  /**
   * Stops the member: a leader first hands leadership to the most caught-up
   * voter (so the cluster does not wait an election timeout), then links and
   * storage close. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  /** `stop()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async doStop(): Promise<void> {
    // From here on this member cannot promise to lead: the token aborts with
    // 'stopped' (not 'transferred', which the hand-over would give), and
    // waiters fail with BATON_STOPPED. New calls are refused before the
    // hand-over: forwarded to the next leader, a command would be carried out
    // while its caller is told BATON_STOPPED.
    this.loop.leadership.stop();
    this.leases?.stop();
    this.forwarder.stop();
    // A loop stopped by a fatal error can no longer send the TimeoutNow.
    const leads = this.loop.status().role === 'leader' && !this.loop.isStopped;
    if (leads && this.loop.status().config.voters.length > 1) await this.handOver();
    await this.loop.stop();
    await this.statusServer?.close();
    await this.transport.close();
    await this.storage.close();
    this.logger.info({ term: this.loop.status().term }, 'member stopped');
  }

  /**
   * Transfers leadership and waits until another member is known to lead
   * (its first heartbeat arrived), at most one maximum election timeout.
   * The loop keeps running meanwhile: the target needs our vote.
   */
  private async handOver(): Promise<void> {
    const target = this.loop.transferLeadership();
    if (target === undefined) return;
    this.logger.info({ to: target }, 'handing leadership over before stopping');
    const newLeader = () => {
      const leaderId = this.leaderId;
      return leaderId !== undefined && leaderId !== this.id;
    };
    await new Promise<void>((resolve) => {
      const timer = this.env.timers.setTimeout(done, this.options.electionTimeoutMs[1]);
      const onLeader = () => {
        if (newLeader()) done();
      };
      const cluster = this;
      function done(): void {
        timer.cancel();
        cluster.off('leader', onLeader);
        resolve();
      }
      this.on('leader', onLeader);
      if (newLeader()) done();
    });
  }

  private onSoftState(role: Role, term: number, leaderId: MemberId | undefined): void {
    const prev = this.lastSoft;
    if (leaderId !== undefined && leaderId !== prev.leaderId) this.counters.leaderChanges++;
    if (role === 'leader' && prev.role !== 'leader') this.counters.termsLed++;
    this.lastSoft = { role: publicRole(role), term, leaderId };
    this.logger.info({ leaderId }, 'state changed');
    if (prev.leaderId !== leaderId) this.forwarder.onLeaderChange();
    if (prev.role !== this.lastSoft.role || prev.term !== term) this.emit('role', this.lastSoft.role, term);
    if (prev.leaderId !== leaderId || prev.term !== term) this.emit('leader', leaderId, term);
  }

  private onFatal(error: unknown): void {
    this.emit(
      'error',
      error instanceof BatonError
        ? error
        : new BatonError('BATON_STOPPED', 'member failed', { cause: error }),
    );
    void this.stop();
  }
}

function publicRole(role: Role): ClusterRole {
  return role === 'preCandidate' ? 'candidate' : role;
}
