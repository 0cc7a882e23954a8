import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../src/storage/file-storage.js';
import { commands, hardState, makeTempDir, removeTempDir } from './storage-test-kit.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir();
});
afterEach(async () => {
  await removeTempDir(dir);
});

/**
 * The lock is found through its socket's name only. If the name is deleted
 * while held (an operator's rm, a tmp cleaner), the next process finds no
 * holder and takes the dataDir; the first holder must then write nothing more.
 */
describe('the dataDir lock socket deleted while held', () => {
  it('the holder refuses every later write once another process took the name', async () => {
    const first = await FileStorage.open(dir);
    await first.persist({ entries: commands(1, 2, 1), hardState: hardState(1, 0), sync: true });
    for (const name of (await readdir(dir)).filter((n) => /^LOCK-\d+\.sock$/.test(n)))
      await unlink(join(dir, name));
    const second = await FileStorage.open(dir);
    try {
      await expect(
        first.persist({ entries: commands(3, 3, 1), hardState: hardState(1, 0), sync: true }),
      ).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    } finally {
      await second.close();
      await first.close().catch(() => {});
    }
  });

  it('the holder stops writing as soon as its name is gone, before anyone took it', async () => {
    const first = await FileStorage.open(dir);
    for (const name of (await readdir(dir)).filter((n) => /^LOCK-\d+\.sock$/.test(n)))
      await unlink(join(dir, name));
    await expect(
      first.persist({ entries: commands(1, 1, 1), hardState: hardState(1, 0), sync: true }),
    ).rejects.toMatchObject({ code: 'BATON_STOPPED' });
    await first.close().catch(() => {});
  });
});

describe('a holder whose lock name was taken by another process', () => {
  it('does not remove that process’s name when it closes, so a third process stays out', async () => {
    const first = await FileStorage.open(dir);
    for (const name of (await readdir(dir)).filter((n) => /^LOCK-\d+\.sock$/.test(n)))
      await unlink(join(dir, name));
    const second = await FileStorage.open(dir);
    await first.close().catch(() => {});
    try {
      await expect(FileStorage.open(dir)).rejects.toMatchObject({ code: 'BATON_CONFIG', field: 'dataDir' });
    } finally {
      await second.close();
    }
  });
});
