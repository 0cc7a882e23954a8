import { mkdir, open, readFile, realpath, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '../errors.js';
import type { StorageLogger } from './log-storage.js';

/** The lock file's name inside a data directory. */
export const LOCK_FILE_NAME = 'LOCK';

/**
 * Keeps a data directory to one process: a `LOCK` file holding the owner's
 * pid, created exclusively. A lock whose pid no longer runs (the owner
 * crashed) is taken over; a lock held by another live process, or by this
 * process for a directory it has open, refuses the open. A lock naming this
 * process's pid for a directory it does not hold is a leftover of an earlier
 * process that had the same pid (common for containers restarted after
 * kill -9), and is taken over. Two processes taking over the same stale lock at the very
 * same moment can both succeed (Node has no flock); the lock guards against
 * starting a member twice by mistake, not against a race staged on purpose.
 */
/** Lock files this process holds, so that its own pid in a lock file can be told apart from a leftover. */
const heldByThisProcess = new Set<string>();

export class DataDirLock {
  private released = false;

  private constructor(private readonly path: string) {}

  /**
   * Creates `dataDir` if missing and takes its lock. Throws
   * `BatonError('BATON_CONFIG')` (field `dataDir`) when a live process holds it.
   */
  static async acquire(dataDir: string, logger: StorageLogger): Promise<DataDirLock> {
    // Keyed on the real path: './d' and '/abs/d' (or a symlink to it) are one directory and one lock.
    const path = join(await usableDirectory(dataDir), LOCK_FILE_NAME);
    if (await tryCreate(path, dataDir)) return DataDirLock.held(path);
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
    logger.warn({ file: path, pid: holder }, 'taking over the stale lock of a process that no longer runs');
    await unlink(path).catch((error: unknown) => {
      ignoreMissing(notUsable(dataDir, error));
    });
    if (await tryCreate(path, dataDir)) return DataDirLock.held(path);
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

/** Creates the lock file with this process's pid; false if it exists already. */
async function tryCreate(path: string, dataDir: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw notUsable(dataDir, error); // e.g. EACCES or EROFS: not writable by this process
  }
  try {
    await handle.writeFile(`${process.pid}\n`);
  } finally {
    await handle.close();
  }
  return true;
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
