import type { Logger } from './env.js';
import { configError } from './options/config-error.js';
import { checkKnownOptions } from './options/known-options.js';
import { checkMembers, MEMBER_ID_PATTERN } from './options/member-urls.js';
import { safeLeaseMs } from './raft/leader-lease.js';
import { WAL_RECORD_PAYLOAD_BYTES_MAX } from './storage/wal.js';

/**
 * Options of `Cluster.start` (DESIGN.md §1). Checked once at start: an
 * unknown key (also inside `listen`, `status` and `tls`) or a bad value is
 * BATON_CONFIG with `field` naming the option.
 */
export interface ClusterOptions {
  /** This member's id; must be a key of `members`. */
  readonly id: string;
  /** The initial voting members, self included: id → ws:// or wss:// URL. */
  readonly members: Readonly<Record<string, string>>;
  /** Where to listen; defaults to the host and port of members[id]. Port 0 picks a free port. */
  readonly listen?: {
    /** The address to bind (default: the host of `members[id]`). */
    readonly host?: string;
    /** The port to bind, 0 for a free one (`cluster.port`); default: the port of `members[id]`. */
    readonly port?: number;
  };
  /**
   * A read-only status page for this member (HTML, `/status.json`,
   * Prometheus `/metrics`, live updates): off unless given. It listens on
   * 127.0.0.1 unless `host` names another address. Port 0 picks a free port
   * (`cluster.statusPort`).
   */
  readonly status?: {
    /** The page's port; 0 picks a free one (`cluster.statusPort`). */
    readonly port: number;
    /** The address to bind (default '127.0.0.1'). */
    readonly host?: string;
  };
  /** Durable storage directory (default './.baton/<id>'), or ':memory:' for tests. */
  readonly dataDir?: string;
  /**
   * The shared cluster secret, at least 16 bytes: members prove it to each
   * other with an HMAC challenge-response; it never crosses the wire.
   * Required unless `insecure: true`.
   */
  readonly secret?: string;
  /** Must be true to run without a secret (or with one shorter than 16 bytes). Default false. */
  readonly insecure?: boolean;
  /**
   * Names the cluster, like etcd's initial-cluster-token: the same on every
   * member. The handshake proves it along with the secret, so members of two
   * clusters that share a secret (staging and production, say) refuse each
   * other's links instead of mixing their logs. Default ''. Not checked with
   * `insecure: true` (there is no proof then).
   */
  readonly clusterName?: string;
  /**
   * wss:// between members, with certificates verified both ways against
   * `ca`. With `tls` every member URL must be wss://, without it ws://.
   */
  readonly tls?: {
    /** This member's private key, PEM. */
    readonly key: string | Uint8Array;
    /** This member's certificate, PEM; it serves as both server and client certificate. */
    readonly cert: string | Uint8Array;
    /** The CA certificate(s), PEM, that peers' certificates must chain to. */
    readonly ca: string | Uint8Array;
  };
  /**
   * A pino logger (or anything with its debug/info/warn/error methods). Without
   * one, Baton logs JSON lines to stderr at `logLevel`.
   */
  readonly logger?: Logger;
  /**
   * The level of the default logger (default 'warn': link failures, lock and
   * storage trouble; 'info' adds role changes and links coming up). Only
   * without `logger`: a logger of your own has its own level.
   */
  readonly logLevel?: LogLevel;
  /** Leader heartbeat interval in ms (default 50). */
  readonly heartbeatMs?: number;
  /**
   * [min, max) of the randomized election timeout in ms (default [300, 600]).
   * The minimum must be at least 3 × `heartbeatMs`, and long enough that the
   * leader lease covers two heartbeat rounds.
   */
  readonly electionTimeoutMs?: readonly [number, number];
  /**
   * Bound on how far any member's clock rate may differ from real time, as a
   * fraction (default 0.05, i.e. 5 %; must be in [0, 0.5)). The leader lease
   * and lease deadlines are shortened by it; the safety guarantees hold only
   * while clocks stay within it.
   */
  readonly driftBound?: number;
  /** Take a snapshot after this many applied entries (default 10 000). */
  readonly snapshotEntries?: number;
  /**
   * Largest peer frame accepted, in bytes (default 8 MiB, from 64 KiB to
   * 64 MiB). One command must fit in a frame (less 4 KiB), and so must a
   * snapshot sent to a lagging member.
   */
  readonly maxFrameBytes?: number;
}

/** Levels of the default logger, as pino names them; 'silent' logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A level of the default logger, as pino names it: `'fatal'` … `'trace'`, or `'silent'`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every option Cluster.start takes; any other key is refused (a misspelt option would be ignored). */
const CLUSTER_OPTION_NAMES: readonly (keyof ClusterOptions)[] = [
  'id',
  'members',
  'listen',
  'status',
  'dataDir',
  'secret',
  'insecure',
  'clusterName',
  'tls',
  'logger',
  'logLevel',
  'heartbeatMs',
  'electionTimeoutMs',
  'driftBound',
  'snapshotEntries',
  'maxFrameBytes',
];

/** Shortest secret accepted without `insecure: true`: 128 bits if it is random. */
export const SECRET_BYTES_MIN = 16;

/** Options after defaults and checks; frozen. */
export interface ResolvedClusterOptions {
  readonly id: string;
  readonly members: Readonly<Record<string, string>>;
  readonly listen: { readonly host: string; readonly port: number };
  readonly status: { readonly host: string; readonly port: number } | undefined;
  readonly dataDir: string;
  readonly secret: string | undefined;
  readonly clusterName: string;
  readonly tls: ClusterOptions['tls'];
  readonly logger: Logger | undefined;
  readonly logLevel: LogLevel;
  readonly heartbeatMs: number;
  readonly electionTimeoutMs: readonly [number, number];
  readonly driftBound: number;
  readonly snapshotEntries: number;
  readonly maxFrameBytes: number;
  /** Derived: the length of one core tick, and the timings in ticks. */
  readonly tickMs: number;
  readonly heartbeatTicks: number;
  readonly electionTicks: number;
  readonly electionTicksMax: number;
  /** Derived: most payload bytes in one append batch, and the largest single command (both fit one frame). */
  readonly batchBytesMax: number;
  readonly commandBytesMax: number;
  /** Derived: how long a quorum-acknowledged heartbeat round keeps the leader lease. */
  readonly leaseMs: number;
}

/**
 * Default timing, chosen for fast failover on a loaded 2-core machine while
 * surviving Node's event-loop stalls (see docs/design.md, "Timing"): a 50 ms
 * heartbeat leaves a 100 ms GC pause far inside the 300 ms minimum election
 * timeout, and a new leader is normally elected within 300–600 ms.
 */
export const DEFAULT_HEARTBEAT_MS = 50;
export const DEFAULT_ELECTION_TIMEOUT_MS: readonly [number, number] = [300, 600];
export const DEFAULT_DRIFT_BOUND = 0.05;
/** See RaftOptions.campaignMarginTicks: two ticks (20 ms by default) absorb network delay and tick phase. */
export const CAMPAIGN_MARGIN_TICKS = 2;
/** Longest clusterName: a name, not a second secret (it goes into the handshake MAC, never on the wire). */
export const CLUSTER_NAME_BYTES_MAX = 255;
/** The default logger's level: quiet while all is well, loud when something needs an operator. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/** Validates and completes Cluster.start options; errors are BATON_CONFIG naming the field. */
export function resolveClusterOptions(input: ClusterOptions): ResolvedClusterOptions {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw configError('options', input, 'an object of options');
  checkKnownOptions(input, CLUSTER_OPTION_NAMES);
  const { id } = input;
  if (typeof id !== 'string' || !MEMBER_ID_PATTERN.test(id)) {
    throw configError('id', id, 'a member id of 1–64 letters, digits, ".", "_" or "-"');
  }
  if (input.tls !== undefined && (typeof input.tls !== 'object' || input.tls === null))
    throw configError('tls', '(redacted)', 'an object with key, cert and ca');
  if (input.tls !== undefined) {
    checkKnownOptions(input.tls, ['key', 'cert', 'ca'], 'tls.');
    for (const field of ['key', 'cert', 'ca'] as const) {
      const v: unknown = input.tls[field];
      if (!(typeof v === 'string' || v instanceof Uint8Array))
        throw configError(`tls.${field}`, field === 'key' ? '(redacted)' : v, 'PEM text or bytes');
    }
  }
  const members = checkMembers(input.members, id, input.tls !== undefined);
  const listen = resolveListen(input.listen, new URL(members[id] as string));
  const dataDir = input.dataDir ?? `./.baton/${id}`;
  if (typeof dataDir !== 'string' || dataDir.length === 0 || dataDir.includes('\0'))
    throw configError('dataDir', dataDir, 'a directory path (without NUL bytes) or ":memory:"');
  const secret = resolveSecret(input);
  const clusterName: unknown = input.clusterName ?? '';
  if (typeof clusterName !== 'string' || Buffer.byteLength(clusterName) > CLUSTER_NAME_BYTES_MAX) {
    throw configError('clusterName', clusterName, `a string of at most ${CLUSTER_NAME_BYTES_MAX} bytes`);
  }
  const logLevel = resolveLogLevel(input);
  const heartbeatMs = positive('heartbeatMs', input.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
  const electionTimeoutMs: unknown = input.electionTimeoutMs ?? DEFAULT_ELECTION_TIMEOUT_MS;
  if (!Array.isArray(electionTimeoutMs) || electionTimeoutMs.length !== 2) {
    throw configError('electionTimeoutMs', electionTimeoutMs, 'a pair [min, max] of milliseconds');
  }
  const [electionMin, electionMax] = electionTimeoutMs as [number, number];
  positive('electionTimeoutMs[0]', electionMin);
  positive('electionTimeoutMs[1]', electionMax);
  if (!(electionMin >= 3 * heartbeatMs)) {
    throw configError(
      'electionTimeoutMs',
      input.electionTimeoutMs,
      `a minimum of at least 3 × heartbeatMs (${3 * heartbeatMs})`,
    );
  }
  if (!(electionMax > electionMin))
    throw configError('electionTimeoutMs', input.electionTimeoutMs, '[min, max) with max > min');
  const driftBound: unknown = input.driftBound ?? DEFAULT_DRIFT_BOUND;
  if (typeof driftBound !== 'number' || !(driftBound >= 0 && driftBound < 0.5))
    throw configError('driftBound', driftBound, 'a number in [0, 0.5)');
  const snapshotEntries = positiveInteger('snapshotEntries', input.snapshotEntries ?? 10_000);
  const maxFrameBytes = positiveInteger('maxFrameBytes', input.maxFrameBytes ?? 8 * 1024 * 1024);
  // One command must fit one WAL record: a frame limit above the record limit would let the leader
  // accept a command that no member can write, and every member would stop on it.
  if (maxFrameBytes < 64 * 1024 || maxFrameBytes > WAL_RECORD_PAYLOAD_BYTES_MAX) {
    throw configError('maxFrameBytes', maxFrameBytes, `in [65536, ${WAL_RECORD_PAYLOAD_BYTES_MAX}]`);
  }
  // The core's batch estimate counts payload plus ~24 bytes an entry; half a frame leaves room for the
  // real framing, and one command may use what is left after a frame's fixed fields.
  const batchBytesMax = Math.floor(maxFrameBytes / 2);
  const commandBytesMax = maxFrameBytes - 4096;
  // Ten ticks per heartbeat at most, never finer than 5 ms.
  const tickMs = Math.max(5, Math.min(10, heartbeatMs / 5));
  const heartbeatTicks = Math.max(1, Math.round(heartbeatMs / tickMs));
  const electionTicks = Math.max(heartbeatTicks + 1, Math.floor(electionMin / tickMs));
  const electionTicksMax = Math.max(electionTicks + 1, Math.floor(electionMax / tickMs));
  // A follower that acknowledged a round refuses votes for electionTicks of its own ticks; the first
  // may come at once. Its clock may run fast by driftBound while the leader's runs slow by as much,
  // hence the ratio (leader-lease.ts).
  const leaseMs = safeLeaseMs(electionTicks, tickMs, driftBound);
  // The lease is renewed once a heartbeat round is acknowledged; shorter than two rounds, a healthy
  // leader's token would lapse between them. Rounds go out every heartbeatTicks ticks, which can be
  // longer than heartbeatMs (ticks are at least 5 ms). A large drift bound shrinks the lease.
  const heartbeatEffectiveMs = heartbeatTicks * tickMs;
  if (leaseMs < 2 * heartbeatEffectiveMs) {
    const blameDrift = input.driftBound !== undefined && driftBound > DEFAULT_DRIFT_BOUND;
    throw configError(
      blameDrift ? 'driftBound' : 'electionTimeoutMs',
      blameDrift ? driftBound : input.electionTimeoutMs,
      `such that the leader lease (${leaseMs.toFixed(1)} ms) covers two heartbeat rounds ` +
        `(${2 * heartbeatEffectiveMs} ms): a longer election timeout${blameDrift ? ' or a smaller drift bound' : ''}`,
    );
  }
  return Object.freeze({
    id,
    members: Object.freeze({ ...members }),
    listen: Object.freeze(listen),
    status: resolveStatus(input.status),
    dataDir,
    secret,
    clusterName,
    tls: input.tls,
    logger: resolveLogger(input.logger),
    logLevel,
    heartbeatMs,
    electionTimeoutMs: Object.freeze([electionMin, electionMax] as const),
    driftBound,
    snapshotEntries,
    maxFrameBytes,
    batchBytesMax,
    commandBytesMax,
    tickMs,
    heartbeatTicks,
    electionTicks,
    electionTicksMax,
    leaseMs,
  });
}

/** Where to listen: `listen` over the host and port of this member's own URL. */
function resolveListen(input: ClusterOptions['listen'], self: URL): { host: string; port: number } {
  if (input !== undefined) {
    if (typeof input !== 'object' || input === null)
      throw configError('listen', input, 'an object { host, port }');
    checkKnownOptions(input, ['host', 'port'], 'listen.');
  }
  const listen = {
    host: input?.host ?? self.hostname.replace(/^\[|\]$/g, ''),
    port: input?.port ?? Number(self.port || (self.protocol === 'wss:' ? 443 : 80)),
  };
  if (typeof listen.host !== 'string' || listen.host.length === 0)
    throw configError('listen.host', listen.host, 'a host name or address');
  if (!(Number.isInteger(listen.port) && listen.port >= 0 && listen.port <= 65535)) {
    throw configError('listen.port', listen.port, 'an integer in [0, 65535]');
  }
  return listen;
}

/** The status page: off unless asked for; loopback unless another host is named. */
function resolveStatus(input: ClusterOptions['status']): ResolvedClusterOptions['status'] {
  if (input === undefined) return undefined;
  if (typeof input !== 'object' || input === null)
    throw configError('status', input, 'an object { port, host? }');
  checkKnownOptions(input, ['host', 'port'], 'status.');
  const host = input.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0)
    throw configError('status.host', host, 'a host name or address');
  if (!(Number.isInteger(input.port) && input.port >= 0 && input.port <= 65535)) {
    throw configError('status.port', input.port, 'an integer in [0, 65535]');
  }
  return Object.freeze({ host, port: input.port });
}

/**
 * The shared secret: required unless `insecure: true`, and at least
 * SECRET_BYTES_MIN bytes, since members prove it with an HMAC that an
 * eavesdropper could try guesses against offline.
 */
function resolveSecret(input: ClusterOptions): string | undefined {
  const { secret, insecure } = input;
  if (insecure !== undefined && typeof insecure !== 'boolean')
    throw configError('insecure', insecure, 'true or false');
  if (secret === undefined || secret === '') {
    if (insecure === true) return undefined;
    throw configError(
      'secret',
      secret,
      `a shared secret of at least ${SECRET_BYTES_MIN} bytes, or insecure: true`,
      secret === undefined ? 'no secret' : 'an empty one',
    );
  }
  if (typeof secret !== 'string') throw configError('secret', '(redacted)', 'a string', typeof secret);
  const bytes = Buffer.byteLength(secret);
  if (bytes < SECRET_BYTES_MIN && insecure !== true) {
    throw configError(
      'secret',
      '(redacted)',
      `at least ${SECRET_BYTES_MIN} bytes, since a short one can be guessed from one recorded handshake, or insecure: true`,
      `a secret of ${bytes} byte${bytes === 1 ? '' : 's'}`,
    );
  }
  return secret;
}

function resolveLogger(logger: unknown): Logger | undefined {
  if (logger === undefined) return undefined;
  const methods = ['debug', 'info', 'warn', 'error'] as const;
  const ok =
    typeof logger === 'object' &&
    logger !== null &&
    methods.every((m) => typeof (logger as Record<string, unknown>)[m] === 'function');
  if (!ok)
    throw configError(
      'logger',
      logger,
      'a pino logger, or an object with debug, info, warn and error methods',
    );
  return logger as Logger;
}

function resolveLogLevel(input: ClusterOptions): LogLevel {
  const level: unknown = input.logLevel;
  if (level === undefined) return DEFAULT_LOG_LEVEL;
  if (input.logger !== undefined)
    throw configError('logLevel', level, 'left out when a logger is given (set the level on that logger)');
  if (!LOG_LEVELS.includes(level as LogLevel))
    throw configError('logLevel', level, `one of ${LOG_LEVELS.join(', ')}`);
  return level as LogLevel;
}

function positive(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
    throw configError(field, value, 'a positive number');
  return value;
}

function positiveInteger(field: string, value: unknown): number {
  if (!Number.isSafeInteger(value) || (value as number) <= 0)
    throw configError(field, value, 'a positive integer');
  return value as number;
}
