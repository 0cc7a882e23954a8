import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../src/storage/file-storage.js';
import { LEGACY_LOCK_FILE_NAME } from '../../src/storage/legacy-lock-file.js';
import { makeTempDir, removeTempDir } from './storage-test-kit.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(dir);
});

/**
 * A restarted member often gets the same pid as the dead one, so a lock keyed
 * on pids would refuse to start until an operator deleted it. The lock is a
 * socket the kernel releases; an earlier version's lock file naming our pid
 * is a leftover.
 */
describe('a member restarted after kill -9 with the pid of the dead one (a container entrypoint is pid 1)', () => {
  it('is taken over, since this process runs the current version', async () => {
    await writeFile(join(dir, LEGACY_LOCK_FILE_NAME), `${process.pid}\n`);
    const storage = await FileStorage.open(dir);
    await storage.close();
  });

  it('a real second open in the same process is still refused', async () => {
    const storage = await FileStorage.open(dir);
    await expect(FileStorage.open(dir)).rejects.toMatchObject({ code: 'BATON_CONFIG' });
    await storage.close();
  });
});
