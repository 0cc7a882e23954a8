/**
 * One Baton member as a child process, driven by process-cluster.ts over the
 * line protocol of member-protocol.ts: JSON events on stdout, JSON commands
 * on stdin, pino logs on stderr. Started as
 *   node --conditions=@baton/source --import tsx test/support/member-process.ts
 * with its MemberConfig in the MEMBER_CONFIG_ENV environment variable.
 *
 * Besides role and leader changes it watches its own leadership: it waits
 * for a token, polls `token.valid` every few milliseconds, and reports when
 * it turns true, that it is still true (every validReportMs), and the last
 * instant it was seen true when it turns false — so the harness can rebuild
 * the intervals during which each member held a valid token.
 */
import { createInterface } from 'node:readline';
import { type BatonError, Cluster, type LeadershipToken } from '@baton/core';
import { runOnLeader } from '@baton/election';
import { destination, pino } from 'pino';
import { MemberCoordination } from './member-coordination.js';
import {
  MEMBER_CONFIG_ENV,
  type MemberCommand,
  type MemberConfig,
  type MemberEvent,
  monotonicNowMs,
} from './member-protocol.js';
import { RecordingStateMachine } from './recording-state-machine.js';

/** Proposals in flight at once when a command does not say. */
const PROPOSALS_INFLIGHT_DEFAULT = 32;
/** Upper bound for a command's own inflightMax. */
const PROPOSALS_INFLIGHT_MAX = 1024;
/** Longest command line read from stdin; longer ones are refused. */
const COMMAND_LINE_CHARS_MAX = 1 << 20;

/** An event as this member writes it: the harness adds `id` and `life`; `at` defaults to now. */
type Body<E> = E extends unknown ? Omit<E, 'at' | 'id' | 'life'> & { at?: number } : never;
type EventBody = Body<MemberEvent>;

/** Writes one event line; stdout is a pipe, and pipe writes are synchronous on Linux, so none is lost on SIGKILL. */
function emit(event: EventBody): void {
  process.stdout.write(`${JSON.stringify({ at: monotonicNowMs(), ...event })}\n`);
}

function errorFields(error: unknown): { code: string; message: string; field?: string } {
  const e = error as Partial<BatonError> | undefined;
  return {
    code: typeof e?.code === 'string' ? e.code : 'UNKNOWN',
    message: e instanceof Error ? e.message : String(error),
    ...(typeof e?.field === 'string' ? { field: e.field } : {}),
  };
}

const config = JSON.parse(process.env[MEMBER_CONFIG_ENV] ?? 'null') as MemberConfig;
const validPollMs = config.validPollMs ?? 2;
const validReportMs = config.validReportMs ?? 10;
/** The recording state machine, unless the member runs the default coordination one. */
const stateMachine = config.coordination ? undefined : new RecordingStateMachine();
let stopping = false;

/** The event names one kind of validity run is reported with. */
interface ValidityEvents {
  readonly start: 'valid' | 'job-valid';
  readonly seen: 'valid-seen' | 'job-seen';
  readonly end: 'valid-end' | 'job-end';
}

const TOKEN_EVENTS: ValidityEvents = { start: 'valid', seen: 'valid-seen', end: 'valid-end' };
const JOB_EVENTS: ValidityEvents = { start: 'job-valid', seen: 'job-seen', end: 'job-end' };

/**
 * Watches one token until its signal has aborted, reporting its validity
 * runs. `valid` is polled rather than trusted from the signal alone because
 * it is what code about to act as leader checks.
 */
function watchToken(
  token: { readonly valid: boolean; readonly term: number; readonly signal: AbortSignal },
  names: ValidityEvents = TOKEN_EVENTS,
): Promise<void> {
  return new Promise((resolve) => {
    let inRun = false;
    let lastTrueAt = 0;
    let lastReportAt = 0;
    const poll = (): void => {
      const before = monotonicNowMs();
      const valid = token.valid;
      const after = monotonicNowMs();
      if (valid) {
        if (!inRun) {
          inRun = true;
          emit({ ev: names.start, term: token.term, at: before });
          lastReportAt = after;
        } else if (after - lastReportAt >= validReportMs) {
          emit({ ev: names.seen, term: token.term, at: after });
          lastReportAt = after;
        }
        lastTrueAt = after;
      } else if (inRun) {
        inRun = false;
        emit({ ev: names.end, term: token.term, lastTrueAt });
      }
      if (!valid && token.signal.aborted) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(poll, validPollMs);
    if (names === TOKEN_EVENTS) {
      token.signal.addEventListener(
        'abort',
        () => {
          const reason = token.signal.reason as Partial<BatonError> & { cause?: unknown };
          emit({
            ev: 'lost',
            term: token.term,
            code: String(reason?.code ?? 'UNKNOWN'),
            cause: String(reason?.cause ?? 'unknown'),
          });
          poll();
        },
        { once: true },
      );
    } else {
      token.signal.addEventListener('abort', () => poll(), { once: true });
    }
    poll();
  });
}

/** A runOnLeader job whose only work is to report when it believed it was the one running (its token valid). */
function startLeaderJob(cluster: Cluster): { stop(): Promise<void> } {
  return runOnLeader(cluster, (token) => watchToken(token, JOB_EVENTS), { restartDelayMs: [10, 100] });
}

async function leadershipLoop(cluster: Cluster): Promise<void> {
  for (;;) {
    let token: LeadershipToken;
    try {
      token = await cluster.leadership();
    } catch (error) {
      if (!stopping) emit({ ev: 'error', ...errorFields(error) });
      return;
    }
    emit({ ev: 'token', term: token.term });
    await watchToken(token);
  }
}

async function proposeAll(cluster: Cluster, command: Extract<MemberCommand, { cmd: 'propose' }>) {
  const { req, tags } = command;
  const inflight = Math.min(command.inflightMax ?? PROPOSALS_INFLIGHT_DEFAULT, PROPOSALS_INFLIGHT_MAX);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tags.length) {
      const tag = tags[next++]!;
      try {
        const { index } = await cluster.propose(new TextEncoder().encode(tag));
        emit({ ev: 'ack', req, tag, index });
      } catch (error) {
        emit({ ev: 'nack', req, tag, code: errorFields(error).code });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, tags.length) }, worker));
}

function replyStatus(cluster: Cluster, req: number): void {
  const s = cluster.status();
  emit({
    ev: 'status',
    req,
    role: s.role,
    term: s.term,
    leaderId: s.leaderId ?? null,
    commitIndex: s.commitIndex,
    appliedIndex: stateMachine?.lastIndex ?? s.appliedIndex,
    applied: stateMachine?.applied ?? [],
  });
}

/** With the coordination state machine, answers at once (appliedAtLeast is not waited for). */
function status(cluster: Cluster, command: Extract<MemberCommand, { cmd: 'status' }>): void {
  const target = command.appliedAtLeast ?? 0;
  if (stateMachine === undefined || stateMachine.lastIndex >= target) {
    replyStatus(cluster, command.req);
    return;
  }
  const unsubscribe = stateMachine.onApplied((index) => {
    if (index < target) return;
    unsubscribe();
    replyStatus(cluster, command.req);
  });
}

async function stop(cluster: Cluster, job: { stop(): Promise<void> } | undefined): Promise<void> {
  stopping = true;
  await job?.stop();
  await cluster.stop();
  emit({ ev: 'stopped' });
  process.exit(0);
}

function onCommand(
  cluster: Cluster,
  job: { stop(): Promise<void> } | undefined,
  coordination: MemberCoordination | undefined,
  line: string,
): void {
  if (line.length > COMMAND_LINE_CHARS_MAX) {
    emit({ ev: 'error', code: 'TEST_BAD_COMMAND', message: `command line over ${COMMAND_LINE_CHARS_MAX}` });
    return;
  }
  const command = JSON.parse(line) as MemberCommand;
  if (command.cmd === 'propose') {
    if (coordination === undefined) void proposeAll(cluster, command);
    else
      emit({ ev: 'error', code: 'TEST_BAD_COMMAND', message: 'propose needs the recording state machine' });
  } else if (command.cmd === 'status') status(cluster, command);
  else if (command.cmd === 'stop') void stop(cluster, job);
  else if (coordination !== undefined) coordination.onCommand(command);
  else emit({ ev: 'error', code: 'TEST_BAD_COMMAND', message: `${command.cmd} needs coordination: true` });
}

async function main(): Promise<void> {
  const logger = pino({ level: config.logLevel ?? 'info' }, destination({ dest: 2, sync: true }));
  let cluster: Cluster;
  try {
    cluster = await Cluster.start(
      {
        id: config.id,
        members: config.members,
        dataDir: config.dataDir,
        secret: config.secret,
        logger,
        ...(config.heartbeatMs === undefined ? {} : { heartbeatMs: config.heartbeatMs }),
        ...(config.electionTimeoutMs === undefined ? {} : { electionTimeoutMs: config.electionTimeoutMs }),
        ...(config.maxFrameBytes === undefined ? {} : { maxFrameBytes: config.maxFrameBytes }),
      },
      stateMachine === undefined ? {} : { stateMachine },
    );
  } catch (error) {
    emit({ ev: 'error', ...errorFields(error) });
    process.exit(1);
  }
  cluster.on('role', (role, term) => emit({ ev: 'role', role, term }));
  cluster.on('leader', (leaderId, term) => emit({ ev: 'leader', leaderId: leaderId ?? null, term }));
  cluster.on('error', (error) => emit({ ev: 'error', ...errorFields(error) }));
  emit({ ev: 'started', port: cluster.port, pid: process.pid, term: cluster.term });
  void leadershipLoop(cluster);
  const job = config.leaderJob ? startLeaderJob(cluster) : undefined;
  const coordination = config.coordination
    ? new MemberCoordination(cluster, emit, validPollMs, validReportMs)
    : undefined;
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => onCommand(cluster, job, coordination, line));
  // The harness went away without stopping us: leave at once rather than linger as an orphan.
  lines.on('close', () => {
    if (!stopping) process.exit(2);
  });
}

await main();
