import { link, mkdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '../errors.js';
import type { StorageLogger } from './log-storage.js';

/** The lock file's name inside a data directory. */
export const LOCK_FILE_NAME = 'LOCK';
/** Held (pid inside) by the one process taking over a stale lock, for the few milliseconds that takes. */
export const TAKEOVER_FILE_NAME = 'LOCK.takeover';

/**
 * Keeps a data directory to one process: a `LOCK` file holding the owner's
 * pid. Files are published whole (written under a temporary name, then hard
 * linked into place, which fails if the name exists), so a reader never sees
 * a lock without its pid. A lock held by another live process, or by this
 * process for a directory it has open, refuses the open. A lock whose pid no
 * longer runs (the owner crashed), or that names this process's pid for a
 * directory it does not hold (a leftover of an earlier process with the same
 * pid, common for containers restarted after kill -9), is taken over — by one
 * process only: the takeover runs under `LOCK.takeover`, created the same
 * way, and checks the lock again inside it, so two processes that found the
 * same stale lock cannot both take it (Node has no flock).
 */
/** Lock files this process holds, so that its own pid in a lock file can be told apart from a leftover. */
const heldByThisProcess = new Set<string>();

export class DataDirLock {
  private released = false;

  private constructor(private readonly path: string) {}

  /**
   * Creates `dataDir` if missing and takes its lock. Throws
   * `BatonError('BATON_CONFIG')` (field `dataDir`) when a live process holds
   * it, or another process is taking it over right now.
   */
  static async acquire(dataDir: string, logger: StorageLogger): Promise<DataDirLock> {
    // Keyed on the real path: './d' and '/abs/d' (or a symlink to it) are one directory and one lock.
    const dir = await usableDirectory(dataDir);
    const path = join(dir, LOCK_FILE_NAME);
    if (await publishPid(path, dataDir)) return DataDirLock.held(path);
    await refuseIfHeld(path, dataDir);
    const marker = join(dir, TAKEOVER_FILE_NAME);
    if (!(await publishPid(marker, dataDir))) throw await takeoverInProgress(marker, dataDir);
    try {
      // Another process may have taken the lock over between our look and our marker.
      const holder = await refuseIfHeld(path, dataDir);
      logger.warn({ file: path, pid: holder }, 'taking over the stale lock of a process that no longer runs');
      await unlink(path).catch((error: unknown) => {
        ignoreMissing(notUsable(dataDir, error));
      });
      if (await publishPid(path, dataDir)) return DataDirLock.held(path);
    } finally {
      // Best effort: a marker left behind makes the next start say how to clear it.
      await unlink(marker).catch((error: unknown) => {
        logger.warn({ file: marker, err: error }, 'could not remove the takeover marker');
      });
    }
    throw new BatonError('BATON_CONFIG', `dataDir ${dataDir} was locked by another process just now`, {
      field: 'dataDir',
      value: dataDir,
    });
  }

  private static held(path: string): DataDirLock {
    heldByThisProcess.add(path);
    return new DataDirLock(path);
  }

  /** Deletes the lock file. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldByThisProcess.delete(this.path);
    await unlink(this.path).catch(ignoreMissing);
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
    `dataDir ${dataDir} is not a directory this process can write (${code})`,
    {
      field: 'dataDir',
      value: dataDir,
      cause: error,
    },
  );
}

/** Makes temporary names unique within this process (the pid makes them unique between processes). */
let publishCount = 0;

/**
 * Creates `path` holding this process's pid, whole: written under a unique
 * temporary name, then hard linked into place. False if `path` exists.
 */
async function publishPid(path: string, dataDir: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${++publishCount}.tmp`;
  try {
    await writeFile(temp, `${process.pid}\n`, { flag: 'wx' });
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw notUsable(dataDir, error); // e.g. EACCES or EROFS: not writable by this process
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** Throws BATON_CONFIG if a live process holds the lock at `path`; else returns the stale holder's pid. */
async function refuseIfHeld(path: string, dataDir: string): Promise<number | undefined> {
  const holder = await readHolder(path).catch((error: unknown) => {
    throw notUsable(dataDir, error); // e.g. a lock file another user created
  });
  const live =
    holder === process.pid ? heldByThisProcess.has(path) : holder !== undefined && isRunning(holder);
  if (live) {
    throw new BatonError(
      'BATON_CONFIG',
      `dataDir ${dataDir} is in use by process ${holder} (lock file ${path}); ` +
        'each member needs its own dataDir. Delete the lock file only if that process is not a member.',
      { field: 'dataDir', value: dataDir },
    );
  }
  return holder;
}

/** The error for a takeover marker that exists: another process is taking over, or crashed doing so. */
async function takeoverInProgress(marker: string, dataDir: string): Promise<BatonError> {
  const pid = await readHolder(marker).catch(() => undefined);
  const leftover = pid === undefined || pid === process.pid || !isRunning(pid);
  return new BatonError(
    'BATON_CONFIG',
    leftover
      ? `dataDir ${dataDir} has ${marker}, left by process ${pid ?? '?'} that stopped while taking over ` +
          'a stale lock; delete it if no member runs on this dataDir'
      : `dataDir ${dataDir} is being taken over by process ${pid} right now`,
    { field: 'dataDir', value: dataDir },
  );
}

/** The pid in the lock file; undefined if unreadable (e.g. a crash before the pid was written). */
async function readHolder(path: string): Promise<number | undefined> {
  const text = await readFile(path, 'utf8').catch(ignoreMissing);
  const pid = Number(text?.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
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

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
