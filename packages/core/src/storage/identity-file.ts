import { open, readdir, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { BatonError } from '../errors.js';
import type { StorageLogger } from './log-storage.js';
import {
  checkDataDirIdentity,
  type DataDirIdentity,
  decodeIdentity,
  describeIdentity,
  encodeIdentity,
} from './member-identity.js';

/** The identity file's name inside a dataDir. */
export const IDENTITY_FILE_NAME = 'MEMBER';

/**
 * Checks `dataDir` (locked by the caller) against `expected` and records the
 * identity if there is none yet, durably (temporary file, fsync, rename,
 * fsync of the directory) before any log is written. Throws BATON_CONFIG
 * naming dataDir on a mismatch, BATON_STORAGE_CORRUPT when the file is
 * unreadable as an identity.
 */
export async function ensureDataDirIdentity(
  dataDir: string,
  expected: DataDirIdentity,
  logger: StorageLogger,
): Promise<void> {
  const path = join(dataDir, IDENTITY_FILE_NAME);
  const recorded = await readIdentity(path);
  const decision = checkDataDirIdentity(dataDir, recorded, expected, await holdsLog(dataDir));
  if (decision.action === 'refuse') throw decision.error;
  if (decision.action === 'keep') return;
  if (decision.adopted) {
    logger.warn(
      { dataDir, identity: describeIdentity(expected) },
      'this dataDir holds a log but records no member: adopting it as this member’s (written by an earlier version)',
    );
  }
  await writeIdentity(dataDir, path, expected);
}

async function readIdentity(path: string): Promise<DataDirIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const identity = decodeIdentity(text);
  if (identity === undefined) {
    throw new BatonError('BATON_STORAGE_CORRUPT', `${path} does not hold a member identity`, {
      value: path,
    });
  }
  return identity;
}

/** Whether the dataDir holds a log or a snapshot already. */
async function holdsLog(dataDir: string): Promise<boolean> {
  for (const sub of ['wal', 'snap']) {
    const names = await readdir(join(dataDir, sub)).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [] as string[];
      throw error;
    });
    if (names.length > 0) return true;
  }
  return false;
}

async function writeIdentity(dataDir: string, path: string, identity: DataDirIdentity): Promise<void> {
  const temp = `${path}.tmp`;
  const file = await open(temp, 'w');
  try {
    await file.writeFile(encodeIdentity(identity));
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  const dir = await open(dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
