import { randomBytes } from 'node:crypto';
import { link, open, readFile, readlink, unlink, writeFile } from 'node:fs/promises';

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
  /** Unique to one publication of the file: tells a holder its own lock from a successor's. */
  readonly token: string;
  /** The file's modification time: its holder refreshes it while it runs. Compared only with itself. */
  readonly refreshedAt: number;
}

/** True when `a` and `b` are the same publication, not refreshed in between. */
export function sameLockFile(a: LockHolder, b: LockHolder): boolean {
  return a.token === b.token && a.pid === b.pid && a.refreshedAt === b.refreshedAt;
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
 * Creates `path` holding this process's pid, pid space and a fresh token,
 * whole: written under a unique temporary name, then hard linked into place,
 * which fails if `path` exists (undefined). Returns the token. A reader never
 * sees the file without its pid.
 */
export async function publishLockFile(path: string): Promise<string | undefined> {
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const token = randomBytes(8).toString('hex');
  await writeFile(temp, `${process.pid}\n${await pidSpace()}\n${token}\n`, { flag: 'wx' });
  try {
    await link(temp, path);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/** What the lock file at `path` says; undefined if there is none. Content and time come from one open file. */
export async function readLockFile(path: string): Promise<LockHolder | undefined> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const [text, info] = [await handle.readFile('utf8'), await handle.stat()];
    const [pidText = '', space = '', token = ''] = text.split('\n');
    const pid = Number(pidText.trim());
    return {
      pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined,
      space: space.trim(),
      token: token.trim(),
      refreshedAt: info.mtimeMs,
    };
  } finally {
    await handle.close();
  }
}
