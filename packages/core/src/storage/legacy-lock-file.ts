import { readFile, readlink } from 'node:fs/promises';

/**
 * The `LOCK` file of earlier versions (pid, pid space, token), read only to
 * tell whether an earlier version's member may still run on a dataDir being
 * upgraded. Its own liveness rules (pid checks, refresh times) are gone: a
 * file of this kind is either provably dead (same pid space, pid not running)
 * or refused.
 */
export interface LegacyLockHolder {
  /** Undefined when the file holds no valid pid. */
  readonly pid: number | undefined;
  /** Boot id and pid namespace of the writer; '' when the file predates it. */
  readonly space: string;
}

/** The earlier version's lock file name. */
export const LEGACY_LOCK_FILE_NAME = 'LOCK';

/** What the legacy lock file at `path` says; undefined if there is none. */
export async function readLegacyLock(path: string): Promise<LegacyLockHolder | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const [pidText = '', space = ''] = text.split('\n');
  const pid = Number(pidText.trim());
  return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined, space: space.trim() };
}

let ownSpace: Promise<string> | undefined;

/** This process's pid space as earlier versions wrote it: boot id and pid namespace; '' where /proc does not tell. */
export function pidSpace(): Promise<string> {
  ownSpace ??= (async () => {
    try {
      return `${await bootId()} ${await readlink('/proc/self/ns/pid')}`;
    } catch {
      return '';
    }
  })();
  return ownSpace;
}

let ownBoot: Promise<string> | undefined;

/** The running kernel's boot id (Linux); '' where it cannot be read. */
export function bootId(): Promise<string> {
  ownBoot ??= readFile('/proc/sys/kernel/random/boot_id', 'utf8').then(
    (text) => text.trim(),
    () => '',
  );
  return ownBoot;
}
