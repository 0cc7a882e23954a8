import { mkdir, readdir, realpath, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '../errors.js';
import {
  LOCK_TEMP_PATTERN,
  type LockHolder,
  pidSpace,
  publishLockFile,
  readLockFile,
  sameLockFile,
} from './lock-file.js';
import type { StorageLogger } from './log-storage.js';

/** The lock file's name inside a data directory. */
export const LOCK_FILE_NAME = 'LOCK';
/** Held (pid inside) by the one process taking over a stale lock, for the few milliseconds that takes. */
export const TAKEOVER_FILE_NAME = 'LOCK.takeover';

/** How often a holder refreshes its lock file, and how long a lock from elsewhere is watched for a refresh. */
export interface LockTiming {
  readonly refreshMs: number;
  readonly staleMs: number;
}

const DEFAULT_TIMING: LockTiming = { refreshMs: 1000, staleMs: 5000 };
/** Temporary files older than this are leftovers of a process that died while publishing. */
const TEMP_LEFTOVER_MS = 60_000;

/**
 * Keeps a data directory to one process: a `LOCK` file holding the owner's
 * pid, pid space (machine boot and pid namespace) and a token, published
 * whole (lock-file.ts), and refreshed (its mtime) every `refreshMs` while
 * held.
 *
 * A lock from this process's pid space is alive while its pid runs; one
 * naming this process's own pid for a directory it does not hold is a
 * leftover of an earlier process with the same pid (containers restarted
 * after kill -9). A lock from another pid space (another container on a
 * shared volume, another machine) cannot be checked by pid: an open watches
 * it for `staleMs` and takes it as alive if it changed meanwhile — no clocks
 * are compared, so clock differences between machines do not matter. Dead
 * locks are taken over by one process only: under the `LOCK.takeover`
 * marker, published the same way, the lock must still be the very file
 * judged dead. A holder checks its token on every refresh and on release, so
 * it never refreshes or deletes a successor's lock (it logs the loss).
 */
/** Lock files (and takeover markers) this process holds, so that its own pid in one can be told apart from a leftover. */
const heldByThisProcess = new Set<string>();

export class DataDirLock {
  /** Called once if another process takes this lock over while it is held. */
  onLost: (() => void) | undefined;
  private released = false;
  private readonly refresher: NodeJS.Timeout;

  private constructor(
    private readonly path: string,
    private readonly token: string,
    private readonly logger: StorageLogger,
    timing: LockTiming,
  ) {
    heldByThisProcess.add(path);
    this.refresher = setInterval(() => void this.refresh(), timing.refreshMs);
    this.refresher.unref();
  }

  /**
   * Creates `dataDir` if missing and takes its lock. Throws
   * `BatonError('BATON_CONFIG')` (field `dataDir`) when a live process holds
   * it, or another process is taking it over right now. Waits `staleMs` when
   * the lock comes from another pid space.
   */
  static async acquire(
    dataDir: string,
    logger: StorageLogger,
    timing: LockTiming = DEFAULT_TIMING,
  ): Promise<DataDirLock> {
    // Keyed on the real path: './d' and '/abs/d' (or a symlink to it) are one directory and one lock.
    const dir = await usableDirectory(dataDir);
    const path = join(dir, LOCK_FILE_NAME);
    const marker = join(dir, TAKEOVER_FILE_NAME);
    const checks = new LockChecks(path, dataDir, timing);
    const take = async (token: string) => {
      const lock = new DataDirLock(path, token, logger, timing);
      await clearLeftovers(dir, checks, logger);
      return lock;
    };
    for (let round = 0; ; round++) {
      const token = await checks.publish(path);
      if (token !== undefined) return take(token);
      let dead = await checks.read(path);
      if (dead === undefined && round < 3) continue; // released meanwhile: create it again
      if (dead !== undefined && (await checks.isOtherSpace(dead))) {
        logger.warn(
          { file: path, pid: dead.pid, waitMs: timing.staleMs },
          'the lock comes from another container or machine: watching whether its holder refreshes it',
        );
        await sleep(timing.staleMs);
        const later = await checks.read(path);
        if (later === undefined && round < 3) continue;
        if (later === undefined || !sameLockFile(dead, later)) throw checks.inUse(later ?? dead, true);
        dead = later;
      } else if (dead !== undefined && checks.isLiveHere(dead, path)) {
        throw checks.inUse(dead, false);
      }
      if ((await checks.publish(marker)) === undefined) {
        const taker = await checks.read(marker);
        if (taker === undefined && round < 3) continue; // the takeover just ended: look again
        throw await checks.takeoverError(marker, taker);
      }
      heldByThisProcess.add(marker);
      try {
        // Only the very file judged dead is replaced: it may have changed hands since.
        const current = await checks.read(path);
        if (current !== undefined && (dead === undefined || !sameLockFile(dead, current))) {
          // Refreshed or replaced since it was judged dead: someone alive holds it.
          throw checks.inUse(current, await checks.isOtherSpace(current));
        }
        if (current !== undefined) {
          logger.warn(
            { file: path, pid: current.pid },
            'taking over the stale lock of a process that no longer runs',
          );
          await unlink(path).catch((error: unknown) => {
            ignoreMissing(notUsable(dataDir, error));
          });
        }
        const won = await checks.publish(path);
        // Awaited here: the marker is still ours while the new holder clears leftovers.
        if (won !== undefined) return await take(won);
      } finally {
        heldByThisProcess.delete(marker);
        // Best effort: a marker left behind is removed by the next holder, or named in the next error.
        await unlink(marker).catch((error: unknown) => {
          logger.warn({ file: marker, err: error }, 'could not remove the takeover marker');
        });
      }
      throw new BatonError('BATON_CONFIG', `dataDir ${dataDir} was locked by another process just now`, {
        field: 'dataDir',
        value: dataDir,
      });
    }
  }

  /** Stops refreshing and deletes the lock file, if it is still this holder's. Idempotent. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.refresher);
    heldByThisProcess.delete(this.path);
    if (await this.stillOurs()) await unlink(this.path).catch(ignoreMissing);
  }

  private async refresh(): Promise<void> {
    if (!(await this.stillOurs(true)) || this.released) return;
    const now = new Date();
    await utimes(this.path, now, now).catch(() => {});
  }

  /**
   * Whether LOCK still holds this holder's token; when it is gone or another's,
   * logs and stops refreshing. A failed read (EMFILE, EIO) proves nothing:
   * it is logged and counts as `ifUnknown`.
   */
  private async stillOurs(ifUnknown = false): Promise<boolean> {
    let current: LockHolder | undefined;
    try {
      current = await readLockFile(this.path);
    } catch (error) {
      this.logger.warn({ file: this.path, err: error }, 'could not read the dataDir lock to refresh it');
      return ifUnknown;
    }
    if (current?.token === this.token) return true;
    clearInterval(this.refresher);
    // After release a missing file is our own deletion; anything else is a loss.
    if (this.released && current === undefined) return false;
    this.logger.warn(
      { file: this.path, pid: current?.pid },
      'the dataDir lock is no longer this process’s: another process took it over',
    );
    if (!this.released) this.onLost?.();
    this.onLost = undefined;
    return false;
  }
}

/**
 * Clears what dead processes left, once a lock is held: a takeover marker
 * (safe while we hold the lock: a taker checks the lock again under its
 * marker and finds it changed) and old temporary files.
 */
async function clearLeftovers(dir: string, checks: LockChecks, logger: StorageLogger): Promise<void> {
  try {
    const marker = join(dir, TAKEOVER_FILE_NAME);
    const taker = await checks.read(marker);
    if (taker !== undefined && !(await checks.isOtherSpace(taker)) && !checks.isLiveHere(taker, marker)) {
      logger.warn(
        { file: marker, pid: taker.pid },
        'removing the takeover marker of a process that no longer runs',
      );
      await unlink(marker).catch(() => {});
    }
    for (const name of await readdir(dir)) {
      if (!name.startsWith(`${LOCK_FILE_NAME}.`) || !LOCK_TEMP_PATTERN.test(name)) continue;
      const file = join(dir, name);
      const info = await stat(file).catch(() => undefined);
      if (info !== undefined && Date.now() - info.mtimeMs > TEMP_LEFTOVER_MS)
        await unlink(file).catch(() => {});
    }
  } catch (error) {
    logger.warn({ dir, err: error }, 'could not clear leftovers of earlier lock holders');
  }
}

/** The liveness rules and error messages of one acquire. */
class LockChecks {
  constructor(
    private readonly path: string,
    private readonly dataDir: string,
    readonly timing: LockTiming,
  ) {}

  /** Publishes `file`; its token, or undefined if it exists. */
  async publish(file: string): Promise<string | undefined> {
    try {
      return await publishLockFile(file);
    } catch (error) {
      throw notUsable(this.dataDir, error); // e.g. EACCES or EROFS: not writable by this process
    }
  }

  async read(file: string): Promise<LockHolder | undefined> {
    try {
      return await readLockFile(file);
    } catch (error) {
      throw notUsable(this.dataDir, error); // e.g. a lock file another user created
    }
  }

  /** True when `holder` wrote from another machine boot or pid namespace than ours (its pid means nothing here). */
  async isOtherSpace(holder: LockHolder): Promise<boolean> {
    const own = await pidSpace();
    return holder.space !== '' && own !== '' && holder.space !== own;
  }

  /** For a holder in our pid space: whether the process that wrote `file` still holds it. */
  isLiveHere(holder: LockHolder, file: string): boolean {
    if (holder.pid === process.pid) return heldByThisProcess.has(file);
    return holder.pid !== undefined && isRunning(holder.pid);
  }

  inUse(holder: LockHolder, elsewhere: boolean): BatonError {
    return new BatonError(
      'BATON_CONFIG',
      `dataDir ${this.dataDir} is in use by process ${holder.pid ?? '?'}` +
        `${elsewhere ? ' in another container or machine' : ''} (lock file ${this.path}); ` +
        'each member needs its own dataDir. Delete the lock file only if that process is not a member.',
      { field: 'dataDir', value: this.dataDir },
    );
  }

  /** The error for a takeover marker that exists: another process is taking over, or died doing so. */
  async takeoverError(marker: string, taker: LockHolder | undefined): Promise<BatonError> {
    const elsewhere = taker !== undefined && (await this.isOtherSpace(taker));
    const live = taker !== undefined && !elsewhere && this.isLiveHere(taker, marker);
    const message = elsewhere
      ? `dataDir ${this.dataDir} is being taken over by process ${taker.pid ?? '?'} in another container ` +
        `or machine, or was left by one that stopped doing so: if this persists, delete ${marker}`
      : live
        ? `dataDir ${this.dataDir} is being taken over by process ${taker.pid ?? '?'} right now`
        : `dataDir ${this.dataDir} has ${marker}, left by process ${taker?.pid ?? '?'} that stopped while ` +
          'taking over a stale lock; delete it if no member runs on this dataDir';
    return new BatonError('BATON_CONFIG', message, { field: 'dataDir', value: this.dataDir });
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

function ignoreMissing(error: unknown): undefined {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
  throw error;
}
