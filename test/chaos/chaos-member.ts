/**
 * One member of a chaos run as a child process (started by chaos-cluster.ts):
 * a Cluster on its dataDir whose peers are reached through the harness's
 * fault proxies, running every workload of the run at once — withLock on a
 * fenced counter, a named election, runOnLeader, leases, registers — and
 * reporting what it did as chaos-protocol.ts events on stdout. Its pino log
 * goes to stderr.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Cluster } from '@baton/core';
import { Election, runOnLeader } from '@baton/election';
import { Locks } from '@baton/lock';
import { destination, pino } from 'pino';
import { Rng } from '../../packages/core/src/sim/rng.js';
import { FileStorage } from '../../packages/core/src/storage/file-storage.js';
import { identityOf } from '../../packages/core/src/storage/member-identity.js';
import {
  CHAOS_CONFIG_ENV,
  type ChaosCommand,
  type ChaosMemberConfig,
  monotonicNowMs,
} from './chaos-protocol.js';
import { electionLoop } from './member/election-workload.js';
import { codeOf, emit } from './member/emit.js';
import { leaseLoop } from './member/lease-workload.js';
import { lockWorker } from './member/lock-workload.js';
import { readKeys, registerLoop } from './member/register-workload.js';
import { measureResources } from './member/resources.js';
import { StoreClient } from './member/store-client.js';
import { watchValidity } from './member/validity-watch.js';
import type { WorkloadContext } from './member/workload-context.js';

const config = JSON.parse(process.env[CHAOS_CONFIG_ENV] ?? 'null') as ChaosMemberConfig;
// BATON_CHAOS_TRACE_DIR: every member life writes its debug-level log there, stamped with the
// machine's monotonic clock (the one the run's events use), to explain an anomaly.
const traceDir = process.env.BATON_CHAOS_TRACE_DIR;
const logger =
  traceDir === undefined
    ? pino({ level: config.logLevel }, destination({ dest: 2, sync: true }))
    : pino(
        { level: 'debug', mixin: () => ({ mono: monotonicNowMs(), perf: performance.now() }) },
        destination({ dest: join(traceDir, `${config.id}-${config.life}.log`), sync: true }),
      );
const store = new StoreClient();
const quiesce = new AbortController();
const registerCounter = { n: 0 };

/** Reports each leadership token's validity, for the 'raft' overlap check. */
async function leadershipLoop(cluster: Cluster): Promise<void> {
  for (;;) {
    const token = await cluster.leadership().catch(() => undefined);
    if (token === undefined) return;
    await watchValidity(token, 'raft', 'raft', token.term);
  }
}

/** A hash of the coordination state this member has applied; equal on members that applied the same entries. */
function digest(cluster: Cluster): string {
  const view = cluster.coordination.view;
  const state = JSON.stringify({ leases: view.leases(), summary: view.summary(1_000_000) });
  return createHash('sha256').update(state).digest('hex').slice(0, 16);
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
    appliedIndex: s.appliedIndex,
    digest: digest(cluster),
    heapUsed: process.memoryUsage().heapUsed,
  });
}

/**
 * Answers at once, or with `sync` after a linearizable read point (ReadIndex):
 * this member has then applied everything committed when the command came.
 */
function status(cluster: Cluster, req: number, sync: boolean): void {
  if (!sync) {
    replyStatus(cluster, req);
    return;
  }
  cluster.readIndex({ timeoutMs: 5000 }).then(
    () => replyStatus(cluster, req),
    (error: unknown) => emit({ ev: 'status-failed', req, code: codeOf(error) }),
  );
}

function startWorkloads(cluster: Cluster): { loops: Promise<void>[]; close: () => Promise<void> } {
  const root = Rng.fromSeed(config.seed).fork(`${config.id}/${config.life}`);
  const context = (label: string): WorkloadContext => ({
    cluster,
    config,
    rng: root.fork(label),
    store,
    quiesce: quiesce.signal,
  });
  const { workload } = config;
  const locks = new Locks(cluster, { ttlMs: workload.lockTtlMs });
  const lockLoops = (): Promise<void>[] =>
    Array.from({ length: workload.lockWorkers }, (_, i) => lockWorker(context(`lock${i}`), locks));
  if (workload.locksOnly === true) return { loops: lockLoops(), close: () => locks.close() };
  const election = new Election(cluster, workload.electionName, { ttlMs: workload.lockTtlMs });
  const job = runOnLeader(cluster, (token) => watchValidity(token, 'job', 'job', token.term), {
    restartDelayMs: [10, 100],
  });
  const loops = [
    ...lockLoops(),
    electionLoop(context('election'), election),
    leaseLoop(context('lease')),
    registerLoop(context('register'), registerCounter),
  ];
  const close = async (): Promise<void> => {
    await job.stop();
    await Promise.allSettled([locks.close(), election.close()]);
  };
  return { loops, close };
}

/** The dataDir's storage with a smaller WAL segment than Baton's default, when the run asks for one. */
async function openStorage(): Promise<{ storage?: FileStorage }> {
  if (config.walSegmentBytes === undefined) return {};
  const storage = await FileStorage.open(config.dataDir, {
    logger,
    segmentBytesMax: config.walSegmentBytes,
    // What Cluster.start records for a member without a clusterName.
    identity: identityOf(config.id, '', Object.keys(config.members)),
  });
  return { storage };
}

async function main(): Promise<void> {
  let cluster: Cluster;
  try {
    cluster = await Cluster.start(
      {
        id: config.id,
        members: config.members,
        dataDir: config.dataDir,
        secret: config.secret,
        logger,
        ...(config.snapshotEntries === undefined ? {} : { snapshotEntries: config.snapshotEntries }),
      },
      await openStorage(),
    );
  } catch (error) {
    emit({ ev: 'error', code: codeOf(error), message: String(error) });
    process.exit(1);
  }
  cluster.on('role', (role, term) => emit({ ev: 'role', role, term }));
  cluster.on('error', (error) => emit({ ev: 'error', code: codeOf(error), message: String(error) }));
  emit({ ev: 'started', pid: process.pid, port: cluster.port });
  void leadershipLoop(cluster);
  const workloads = startWorkloads(cluster);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const command = JSON.parse(line) as ChaosCommand;
    if (command.cmd === 'store-reply') {
      store.onReply(
        command.rid,
        command.ok
          ? { ok: true, value: command.value ?? 0 }
          : { ok: false, refusal: command.refusal ?? 'stale' },
      );
    } else if (command.cmd === 'status') {
      status(cluster, command.req, command.sync);
    } else if (command.cmd === 'quiesce') {
      quiesce.abort();
      void Promise.allSettled(workloads.loops)
        .then(() => workloads.close())
        .then(() => emit({ ev: 'quiesced', req: command.req }));
    } else if (command.cmd === 'resources') {
      void measureResources(cluster, config.dataDir).then(
        (resources) => emit({ ev: 'resources', req: command.req, ...resources }),
        (error: unknown) => emit({ ev: 'status-failed', req: command.req, code: codeOf(error) }),
      );
    } else if (command.cmd === 'read-keys') {
      void readKeys(cluster, command.keys, registerCounter).then(() =>
        emit({ ev: 'reads-done', req: command.req }),
      );
    }
  });
  // The harness went away: leave at once rather than linger as an orphan.
  lines.on('close', () => process.exit(2));
}

await main();
