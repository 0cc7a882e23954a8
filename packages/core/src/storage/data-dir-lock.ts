import { statSync } from 'node:fs';
import { mkdir, realpath, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '../errors.js';
import { bootId, LEGACY_LOCK_FILE_NAME, pidSpace, readLegacyLock } from './legacy-lock-file.js';
import { describeOwner, readLockOwner, sharedFileSystem, writeLockOwner } from './lock-owner.js';
import { acquireLock, generationsIn, lockSocketName } from './lock-protocol.js';
import { LOCK_TEMP_PATTERN, SocketLockOps } from './lock-socket.js';
import type { StorageLogger } from './log-storage.js';

/**
 * Keeps a data directory to one process, with the kernel as the judge of
 * liveness: the holder listens on a Unix domain socket bound in the
 * directory (`LOCK-<n>.sock`, lock-protocol.ts for how generations make
 * takeovers safe). A process that dies releases it, whatever killed it; a
 * process that is alive holds it, however stalled. No pid, no clock and no
 * timeout is involved, so a loaded machine cannot make a live holder look
 * dead, and containers sharing a volume (each with its own pid 1 and
 * network) see each other's sockets through the file system.
 *
 * Not for dataDirs shared between machines: a socket is local to the kernel
 * that bound it. On a shared file system (NFS, SMB, …) a lock recorded by
 * another machine or boot is refused instead of being judged (see acquire).
 */
export class DataDirLock {
  /** Called once if the lock's socket closes while held (it cannot be taken over while it listens). */
  onLost: (() => void) | undefined;
  private released = false;

  /** The inode of our socket's name when we took it: the name deleted, or another socket bound there, means lost. */
  private inode: bigint | undefined;

  private constructor(
    private readonly ops: SocketLockOps,
    private readonly name: string,
    private readonly path: string,
    private readonly logger: StorageLogger,
  ) {}

  /**
   * Creates `dataDir` if missing and takes its lock. Throws
   * `BatonError('BATON_CONFIG')` (field `dataDir`) when another process
   * holds it — also another DataDirLock of this process — or when the path
   * cannot hold a dataDir. Never waits on a timer.
   */
  static async acquire(dataDir: string, logger: StorageLogger): Promise<DataDirLock> {
    // Keyed on the real path: './d' and '/abs/d' (or a symlink to it) are one directory and one lock.
    const dir = await usableDirectory(dataDir);
    let lock: DataDirLock | undefined;
    const ops = await SocketLockOps.create(dir, () => {
      if (lock === undefined || lock.released) return;
      logger.warn({ dataDir }, 'the dataDir lock socket closed while held: this member stops writing');
      lock.onLost?.();
      lock.onLost = undefined;
    }).catch((error: unknown) => {
      throw notUsable(dataDir, error);
    });
    try {
      await refuseLegacyHolder(dataDir, dir, logger);
      await refuseHolderElsewhere(dataDir, dir, ops);
      const outcome = await acquireLock(ops).catch((error: unknown) => {
        throw notUsable(dataDir, error);
      });
      if (outcome.status !== 'held') {
        const owner = await readLockOwner(dir);
        throw configError(
          dataDir,
          outcome.status === 'in-use'
            ? `dataDir ${dataDir} is in use by ${describeOwner(owner)} (its lock socket ${join(dir, outcome.name)} ` +
                'answers): each member needs its own dataDir'
            : `dataDir ${dataDir} is being locked by other processes at this moment: each member needs its own dataDir`,
        );
      }
      lock = new DataDirLock(ops, outcome.name, join(dir, outcome.name), logger);
      lock.inode = (await stat(lock.path, { bigint: true })).ino;
      await writeLockOwner(dir).catch((error: unknown) => {
        logger.warn({ dataDir, err: error }, 'could not record this process as the dataDir lock holder');
      });
      await clearDeadTempSockets(ops);
      return lock;
    } catch (error) {
      if (lock !== undefined) await lock.release();
      else await ops.close();
      throw error;
    }
  }

  /**
   * Throws BATON_STOPPED (and calls onLost) unless the lock's name still
   * names our socket. The lock is found only through that name: deleted (an
   * operator's rm, a tmp cleaner), the next process finds no holder and takes
   * the dataDir. FileStorage checks before every write round, so a holder
   * whose name was taken writes nothing more; between the check and the
   * write a newcomer can still slip in — keep dataDirs out of cleaned paths.
   *
   * Synchronous on purpose: it runs before every write round, on the commit
   * path, and a stat of a local name takes microseconds where a round trip
   * through libuv's thread pool costs a wake-up of the event loop — on a
   * loaded machine as much as the fsync that follows.
   */
  verify(): void {
    if (this.released) return;
    let now: { ino: bigint } | undefined;
    try {
      now = statSync(this.path, { bigint: true, throwIfNoEntry: false });
    } catch {
      now = undefined;
    }
    if (now?.ino === this.inode) return;
    this.logger.warn(
      { path: this.path },
      'the dataDir lock socket was deleted or replaced while held: this member stops writing',
    );
    this.onLost?.();
    this.onLost = undefined;
    throw new BatonError('BATON_STOPPED', `the dataDir lock ${this.path} is no longer this process's`);
  }

  /** Stops listening and removes the lock socket. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    // Only our own name: if it was deleted and another process took it meanwhile, removing it would let a third in.
    const now = await stat(this.path, { bigint: true }).catch(() => undefined);
    if (now?.ino === this.inode) await this.ops.withdraw(this.name);
    await this.ops.close();
  }
}

/**
 * A `LOCK` file of an earlier version: provably dead when written in this pid
 * space by a pid that no longer runs (it is removed); otherwise an
 * earlier-version member may run on this dataDir, and the open is refused.
 */
async function refuseLegacyHolder(dataDir: string, dir: string, logger: StorageLogger): Promise<void> {
  const path = join(dir, LEGACY_LOCK_FILE_NAME);
  const holder = await readLegacyLock(path).catch((error: unknown) => {
    throw notUsable(dataDir, error);
  });
  if (holder === undefined) return;
  const sameSpace = holder.space === '' || holder.space === (await pidSpace());
  // Our own pid is a leftover: this process runs the current version.
  const mayRun = holder.pid !== undefined && holder.pid !== process.pid && isRunning(holder.pid);
  if (!sameSpace || mayRun) {
    throw configError(
      dataDir,
      `dataDir ${dataDir} has the lock file of an earlier Baton version (${path}, process ` +
        `${holder.pid ?? '?'}${sameSpace ? '' : ' in another container or machine'}): stop that member ` +
        'first, then delete the file',
    );
  }
  logger.warn({ file: path, holderPid: holder.pid }, 'removing the lock file an earlier version left');
  await unlink(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw notUsable(dataDir, error);
  });
}

/** On a shared file system, a lock socket bound by another machine or boot cannot be judged: refuse. */
async function refuseHolderElsewhere(dataDir: string, dir: string, ops: SocketLockOps): Promise<void> {
  const fs = await sharedFileSystem(dir);
  if (fs === undefined) return;
  const top = generationsIn(await ops.list()).at(-1);
  if (top === undefined) return;
  const owner = await readLockOwner(dir);
  const ownBoot = await bootId();
  if (owner !== undefined && ownBoot !== '' && owner.bootId === ownBoot) return;
  const socket = join(dir, lockSocketName(top));
  throw configError(
    dataDir,
    `dataDir ${dataDir} is on a shared file system (${fs}) and was locked by ${describeOwner(owner)}, ` +
      `which this machine cannot check: if no member runs on it anywhere, delete ${socket}`,
  );
}

/** Temporary sockets of processes that died while publishing one (a live one answers and stays). */
async function clearDeadTempSockets(ops: SocketLockOps): Promise<void> {
  for (const name of await ops.list().catch(() => [])) {
    if (!LOCK_TEMP_PATTERN.test(name)) continue;
    if ((await ops.probe(name).catch(() => 'live')) === 'dead') await ops.remove(name).catch(() => {});
  }
}

/** Creates `dataDir` if missing and returns its real path; an unusable path is BATON_CONFIG naming dataDir. */
async function usableDirectory(dataDir: string): Promise<string> {
  try {
    await mkdir(dataDir, { recursive: true });
    return await realpath(dataDir);
  } catch (error) {
    throw notUsable(dataDir, error);
  }
}

/**
 * Errors that say the path itself is wrong for a dataDir (a file, a read-only
 * place, no permission, a name too long). Others, such as EIO, ENOSPC or EMFILE, are
 * failures of the machine rather than of the options and are thrown as they are.
 */
const PATH_ERRORS: ReadonlySet<string> = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'EEXIST',
  'EISDIR',
  'ELOOP',
  'ENAMETOOLONG',
]);

/** The error to throw for a failed operation on the dataDir: BATON_CONFIG naming dataDir when the path is at fault. */
function notUsable(dataDir: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === undefined || !PATH_ERRORS.has(code)) return error;
  return new BatonError(
    'BATON_CONFIG',
    `dataDir ${dataDir} is not a directory this process can use (${code})`,
    {
      field: 'dataDir',
      value: dataDir,
      cause: error,
    },
  );
}

function configError(dataDir: string, message: string): BatonError {
  return new BatonError('BATON_CONFIG', message, { field: 'dataDir', value: dataDir });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
