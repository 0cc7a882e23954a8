import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { DataDirLock, LOCK_FILE_NAME } from '../../src/storage/data-dir-lock.js';
import { deadPid, makeTempDir, recordingLogger, removeTempDir } from './storage-test-kit.js';

/**
 * Failures root cannot provoke on a real file system in a test (root may write
 * anywhere it may open), injected into node:fs/promises for this file only.
 */
const failures = vi.hoisted(() => ({
  unlink: undefined as string | undefined,
  writeFile: undefined as string | undefined,
  open: undefined as string | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const failWith = (code: string) => Object.assign(new Error(`${code}: injected`), { code });
  return {
    ...real,
    unlink: (...args: Parameters<typeof real.unlink>) =>
      failures.unlink === undefined ? real.unlink(...args) : Promise.reject(failWith(failures.unlink)),
    writeFile: (...args: Parameters<typeof real.writeFile>) =>
      failures.writeFile === undefined
        ? real.writeFile(...args)
        : Promise.reject(failWith(failures.writeFile)),
    open: (...args: Parameters<typeof real.open>) =>
      failures.open === undefined ? real.open(...args) : Promise.reject(failWith(failures.open)),
  };
});

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  failures.unlink = undefined;
  failures.writeFile = undefined;
  failures.open = undefined;
  await removeTempDir(dir);
});

describe('DataDirLock on a failing file system', () => {
  it('a stale lock that cannot be removed (no permission) is BATON_CONFIG naming dataDir', async () => {
    await fs.writeFile(join(dir, LOCK_FILE_NAME), `${deadPid()}\n`);
    failures.unlink = 'EACCES';
    const error = await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect(error).toMatchObject({ field: 'dataDir', value: dir });
    expect(String((error as Error).message)).toContain('EACCES');
  });

  it('a lock file this process may not read (another user created it) is BATON_CONFIG naming dataDir', async () => {
    await fs.writeFile(join(dir, LOCK_FILE_NAME), `${deadPid()}\n`);
    failures.open = 'EACCES';
    const error = await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect(error).toMatchObject({ field: 'dataDir', value: dir });
  });

  it('a stale lock whose removal fails for a machine reason keeps that error', async () => {
    await fs.writeFile(join(dir, LOCK_FILE_NAME), `${deadPid()}\n`);
    failures.unlink = 'EIO';
    await expect(DataDirLock.acquire(dir, recordingLogger())).rejects.toMatchObject({ code: 'EIO' });
  });

  it('out of file descriptors or disk space is not blamed on the dataDir option', async () => {
    for (const code of ['EMFILE', 'ENOSPC']) {
      failures.writeFile = code;
      await expect(DataDirLock.acquire(dir, recordingLogger())).rejects.toMatchObject({ code });
    }
    failures.writeFile = 'EROFS';
    const error = await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
  });

  it('a holder that cannot read its lock for a while (EMFILE) keeps it and refreshes it again afterwards', async () => {
    const fast = { refreshMs: 20, staleMs: 200 };
    const logger = recordingLogger();
    const lock = await DataDirLock.acquire(dir, logger, fast);
    const path = join(dir, LOCK_FILE_NAME);
    failures.open = 'EMFILE';
    await new Promise((resolve) => setTimeout(resolve, 5 * fast.refreshMs));
    failures.open = undefined;
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(path, old, old);
    await new Promise((resolve) => setTimeout(resolve, 5 * fast.refreshMs));
    expect(Date.now() - (await fs.stat(path)).mtimeMs).toBeLessThan(fast.staleMs);
    expect(logger.warnings.some((w) => w.includes('no longer this process'))).toBe(false);
    await lock.release();
    await expect(fs.stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
