import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME } from '../../src/storage/data-dir-lock.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { makeTempDir, removeTempDir } from '../storage/storage-test-kit.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(dir);
});

/**
 * Finding: DataDirLock treats a LOCK file naming this very process's pid as
 * held by a live process. After kill -9, a restarted member often gets the
 * SAME pid as the dead one (a container's entrypoint is pid 1, or another
 * fixed small pid), so it refuses to start with BATON_CONFIG until an
 * operator deletes the lock file by hand. The pid alone cannot tell "an
 * earlier incarnation of this process's pid" from "opened twice in this
 * process"; an in-process registry of open dirs (or a boot id / start time
 * in the file) can.
 */
describe('review: a stale lock that names our own pid (restart in a container after kill -9)', () => {
  it('is taken over, since no FileStorage in this process holds the directory', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.pid}\n`);
    const storage = await FileStorage.open(dir);
    await storage.close();
  });

  it('a real second open in the same process is still refused', async () => {
    const storage = await FileStorage.open(dir);
    await expect(FileStorage.open(dir)).rejects.toMatchObject({ code: 'BATON_CONFIG' });
    await storage.close();
  });
});
