import { readFile, rename, statfs, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { bootId } from './legacy-lock-file.js';

/**
 * Who took a dataDir's lock last, for error messages and for one judgment
 * the lock sockets cannot make (a holder on another machine, below). Written
 * by each new holder; only informative otherwise: in a race it may name the
 * loser.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** The kernel's boot id; '' where /proc does not tell. */
  readonly bootId: string;
}

export const LOCK_OWNER_FILE_NAME = 'LOCK.owner';

/** Records this process as the holder (written whole: temporary file, then rename). */
export async function writeLockOwner(dir: string): Promise<void> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), bootId: await bootId() };
  const temp = join(dir, `${LOCK_OWNER_FILE_NAME}.${process.pid}.tmp`);
  await writeFile(temp, `${JSON.stringify(owner)}\n`);
  await rename(temp, join(dir, LOCK_OWNER_FILE_NAME));
}

/** The recorded holder, or undefined when there is none or it cannot be read. */
export async function readLockOwner(dir: string): Promise<LockOwner | undefined> {
  try {
    const value = JSON.parse(await readFile(join(dir, LOCK_OWNER_FILE_NAME), 'utf8')) as Partial<LockOwner>;
    if (typeof value.pid !== 'number' || typeof value.host !== 'string') return undefined;
    return { pid: value.pid, host: value.host, bootId: typeof value.bootId === 'string' ? value.bootId : '' };
  } catch {
    return undefined;
  }
}

/** "pid 123 on host h", for messages. */
export function describeOwner(owner: LockOwner | undefined): string {
  return owner === undefined ? 'a process' : `process ${owner.pid} on host ${owner.host}`;
}

/**
 * File systems that machines share (statfs f_type on Linux). A Unix domain
 * socket on them is local to the kernel that bound it: a connect from another
 * machine is refused even while its owner runs, so a refused connect proves
 * nothing there unless the owner ran on this very boot of this machine.
 */
const SHARED_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x6969, 'nfs'],
  [0x517b, 'smb'],
  [0xff534d42, 'cifs'],
  [0xfe534d42, 'smb2'],
  [0x01021997, '9p'],
  [0x65735546, 'fuse'],
  [0x00c36400, 'ceph'],
  [0x0bd00bd0, 'lustre'],
  [0x47504653, 'gpfs'],
  [0x7461636f, 'ocfs2'],
  [0x01161970, 'gfs2'],
  [0x5346414f, 'afs'],
]);

/** The name of the shared file system `dir` is on, or undefined for a local one (or off Linux, where f_type differs). */
export async function sharedFileSystem(dir: string): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return SHARED_FILE_SYSTEMS.get((await statfs(dir)).type);
  } catch {
    return undefined;
  }
}
