import { randomBytes } from 'node:crypto';
import { link, readFile, readlink, stat, unlink, writeFile } from 'node:fs/promises';

/** What a lock file says of the process that wrote it. */
export interface LockHolder {
  /** Undefined when the file holds no valid pid (written by hand, or by an old version mid-crash). */
  readonly pid: number | undefined;
  /**
   * Where that pid means something: the machine's boot id and the pid
   * namespace, as this process reads its own from /proc. '' when unknown
   * (files from before this field, or no /proc).
   */
  readonly space: string;
  /** The file's modification time (wall clock, ms): its holder refreshes it while it runs. */
  readonly refreshedAt: number;
}

let ownSpace: Promise<string> | undefined;

/** This process's pid space (see LockHolder.space); '' where /proc does not tell. */
export function pidSpace(): Promise<string> {
  ownSpace ??= (async () => {
    try {
      const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
      return `${boot} ${await readlink('/proc/self/ns/pid')}`;
    } catch {
      return '';
    }
  })();
  return ownSpace;
}

/** The temporary files publishLockFile leaves behind if the process dies between writing and removing them. */
export const LOCK_TEMP_PATTERN = /\.\d+\.[0-9a-f]{12}\.tmp$/;

/**
 * Creates `path` holding this process's pid and pid space, whole: written
 * under a unique temporary name, then hard linked into place, which fails if
 * `path` exists (false). A reader never sees the file without its pid.
 */
export async function publishLockFile(path: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(temp, `${process.pid}\n${await pidSpace()}\n`, { flag: 'wx' });
  try {
    await link(temp, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** What the lock file at `path` says; undefined if there is none. */
export async function readLockFile(path: string): Promise<LockHolder | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const [pidText = '', space = ''] = text.split('\n');
    const pid = Number(pidText.trim());
    return {
      pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined,
      space: space.trim(),
      refreshedAt: info.mtimeMs,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
