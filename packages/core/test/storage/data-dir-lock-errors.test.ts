import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { DataDirLock } from '../../src/storage/data-dir-lock.js';
import { LEGACY_LOCK_FILE_NAME } from '../../src/storage/legacy-lock-file.js';
import { deadPid, makeTempDir, recordingLogger, removeTempDir } from './storage-test-kit.js';

/**
 * Failures root cannot provoke on a real file system in a test (root may write
 * anywhere it may open), injected into node:fs/promises for this file only.
 */
const failures = vi.hoisted(() => ({
  unlink: undefined as string | undefined,
  readFile: undefined as string | undefined,
  readdir: undefined as string | undefined,
  link: undefined as string | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const failWith = (code: string) => Object.assign(new Error(`${code}: injected`), { code });
  const failing =
    <F extends (...args: never[]) => Promise<unknown>>(name: keyof typeof failures, f: F) =>
    (...args: Parameters<F>) =>
      failures[name] === undefined ? f(...args) : Promise.reject(failWith(failures[name]));
  return {
    ...real,
    unlink: failing('unlink', real.unlink),
    readFile: failing('readFile', real.readFile as (...args: never[]) => Promise<unknown>),
    readdir: failing('readdir', real.readdir as (...args: never[]) => Promise<unknown>),
    link: failing('link', real.link),
  };
});

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  for (const key of Object.keys(failures) as (keyof typeof failures)[]) failures[key] = undefined;
  await removeTempDir(dir);
});

describe('DataDirLock on a failing file system', () => {
  it('an earlier version’s lock file that cannot be removed (no permission) is BATON_CONFIG naming dataDir', async () => {
    await fs.writeFile(join(dir, LEGACY_LOCK_FILE_NAME), `${deadPid()}\n`);
    failures.unlink = 'EACCES';
    const error = await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect(error).toMatchObject({ field: 'dataDir', value: dir });
  });

  it('a lock file this process may not read (another user created it) is BATON_CONFIG naming dataDir', async () => {
    await fs.writeFile(join(dir, LEGACY_LOCK_FILE_NAME), `${deadPid()}\n`);
    failures.readFile = 'EACCES';
    const error = await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect(error).toMatchObject({ field: 'dataDir', value: dir });
  });

  it('out of file descriptors or an I/O error is not blamed on the dataDir option', async () => {
    for (const [op, code] of [
      ['readdir', 'EMFILE'],
      ['link', 'EIO'],
      ['link', 'ENOSPC'],
    ] as const) {
      failures[op] = code;
      await expect(DataDirLock.acquire(dir, recordingLogger()), `${op} ${code}`).rejects.toMatchObject({
        code,
      });
      failures[op] = undefined;
    }
    failures.link = 'EROFS';
    const error = await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    failures.link = undefined;
    // Nothing was left listening: the directory locks normally afterwards.
    await (await DataDirLock.acquire(dir, recordingLogger())).release();
  });
});
