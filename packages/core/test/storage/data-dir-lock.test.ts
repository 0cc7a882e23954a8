import { readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { DataDirLock, LOCK_FILE_NAME, TAKEOVER_FILE_NAME } from '../../src/storage/data-dir-lock.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { deadPid, makeTempDir, recordingLogger, removeTempDir } from './storage-test-kit.js';

let dir: string;

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await removeTempDir(dir);
});

describe('one process per dataDir', () => {
  it('creates a missing dataDir and writes this pid into its lock file', async () => {
    const dataDir = join(dir, 'a', 'b');
    const storage = await FileStorage.open(dataDir);
    expect((await readFile(join(dataDir, LOCK_FILE_NAME), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await storage.close();
  });

  it('a second open of a directory in use fails with BATON_CONFIG naming dataDir', async () => {
    const storage = await FileStorage.open(dir);
    const error = await FileStorage.open(dir).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect((error as { field?: string }).field).toBe('dataDir');
    await storage.close();
  });

  it('the same directory named by a relative path, an absolute path and a symlink is one lock', async () => {
    const storage = await FileStorage.open(dir);
    await symlink(dir, `${dir}-link`);
    try {
      for (const other of [relative(process.cwd(), dir), `${dir}/./`, `${dir}-link`]) {
        const error = await FileStorage.open(other).catch((e: unknown) => e);
        expect(isBatonError(error, 'BATON_CONFIG'), other).toBe(true);
      }
    } finally {
      await unlink(`${dir}-link`);
      await storage.close();
    }
  });

  it('a dataDir that cannot be a directory fails with BATON_CONFIG naming dataDir', async () => {
    await writeFile(join(dir, 'file'), 'not a directory');
    const error = await FileStorage.open(join(dir, 'file', 'member')).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect((error as { field?: string }).field).toBe('dataDir');
  });

  it('a dataDir this process cannot write fails with BATON_CONFIG naming dataDir', async () => {
    // /sys exists on Linux and refuses new files even to root (EACCES, or EROFS in some containers).
    const error = await FileStorage.open('/sys').catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect((error as { field?: string }).field).toBe('dataDir');
  });

  it('a lock held by another live process is respected', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.ppid}\n`);
    expect(isBatonError(await FileStorage.open(dir).catch((e: unknown) => e), 'BATON_CONFIG')).toBe(true);
  });

  it('close releases the lock, so the directory opens again', async () => {
    await (await FileStorage.open(dir)).close();
    await (await FileStorage.open(dir)).close();
  });

  it('a stale lock of a dead process, or an empty one, is taken over and logged', async () => {
    for (const content of [`${deadPid()}\n`, '']) {
      await writeFile(join(dir, LOCK_FILE_NAME), content);
      const logger = recordingLogger();
      const storage = await FileStorage.open(dir, { logger });
      expect(logger.warnings).toEqual(['taking over the stale lock of a process that no longer runs']);
      expect((await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).split('\n')[0]).toBe(String(process.pid));
      await storage.close();
    }
  });

  it('of two processes taking over the same stale lock at once, exactly one gets it', async () => {
    // Two acquires in one process interleave their file operations as two processes would.
    for (let round = 0; round < 50; round++) {
      await writeFile(join(dir, LOCK_FILE_NAME), `${deadPid()}\n`);
      const outcomes = await Promise.allSettled([
        DataDirLock.acquire(dir, recordingLogger()),
        DataDirLock.acquire(dir, recordingLogger()),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      for (const o of outcomes) {
        if (o.status !== 'rejected') continue;
        expect(isBatonError(o.reason, 'BATON_CONFIG')).toBe(true);
        // The loser lost to a live process: never told to delete anything.
        expect(String((o.reason as Error).message)).not.toContain('delete it');
      }
      await (won[0] as PromiseFulfilledResult<DataDirLock>).value.release();
      expect(await readdir(dir)).toEqual([]); // no marker or temporary file left behind
    }
  });

  it('a takeover marker left by a process that died taking over refuses the open and says what to delete', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), `${deadPid()}\n`);
    await writeFile(join(dir, TAKEOVER_FILE_NAME), `${deadPid()}\n`);
    const error = await FileStorage.open(dir).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toContain(`${TAKEOVER_FILE_NAME}`);
    expect(String((error as Error).message)).toContain('delete it');
  });

  it('an open that fails during recovery releases the lock', async () => {
    await writeFile(join(dir, 'wal'), 'not a directory');
    await expect(FileStorage.open(dir)).rejects.toThrow();
    await expect(readFile(join(dir, LOCK_FILE_NAME))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
