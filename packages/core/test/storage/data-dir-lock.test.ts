import { link, readdir, readFile, symlink, unlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { DataDirLock } from '../../src/storage/data-dir-lock.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { LEGACY_LOCK_FILE_NAME, pidSpace } from '../../src/storage/legacy-lock-file.js';
import { LOCK_OWNER_FILE_NAME } from '../../src/storage/lock-owner.js';
import { LockHolderProcess } from './lock-holder-process.js';
import { deadPid, makeTempDir, recordingLogger, removeTempDir } from './storage-test-kit.js';

let dir: string;
const holders: LockHolderProcess[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  await Promise.all(holders.splice(0).map((h) => h.kill()));
  await removeTempDir(dir);
});

async function holder(): Promise<LockHolderProcess> {
  const h = await LockHolderProcess.start(dir);
  holders.push(h);
  return h;
}

/** A socket under `name` whose owner is gone, as a killed process leaves it. */
async function deadSocket(name: string): Promise<void> {
  const temp = join(dir, 'dead.tmp.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(temp, resolve));
  await link(temp, join(dir, name));
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

function expectDataDirConfigError(error: unknown): void {
  expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
  expect((error as { field?: string }).field).toBe('dataDir');
}

describe('one process per dataDir', () => {
  it('creates a missing dataDir, listens on its lock socket and records the holder', async () => {
    const dataDir = join(dir, 'a', 'b');
    const storage = await FileStorage.open(dataDir);
    expect((await readdir(dataDir)).filter((n) => n.startsWith('LOCK'))).toEqual(
      expect.arrayContaining(['LOCK-1.sock', LOCK_OWNER_FILE_NAME]),
    );
    const owner = JSON.parse(await readFile(join(dataDir, LOCK_OWNER_FILE_NAME), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    await storage.close();
    expect((await readdir(dataDir)).includes('LOCK-1.sock')).toBe(false);
  });

  it('a second open of a directory in use fails with BATON_CONFIG naming dataDir, in this process too', async () => {
    const storage = await FileStorage.open(dir);
    expectDataDirConfigError(await FileStorage.open(dir).catch((e: unknown) => e));
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
    expectDataDirConfigError(await FileStorage.open(join(dir, 'file', 'member')).catch((e: unknown) => e));
  });

  it('a dataDir this process cannot write fails with BATON_CONFIG naming dataDir', async () => {
    // /sys exists on Linux and refuses new files even to root (EACCES, or EROFS in some containers).
    expectDataDirConfigError(await FileStorage.open('/sys').catch((e: unknown) => e));
  });

  it('a path too long to address a socket directly still locks (through the directory handle)', async () => {
    const deep = join(dir, 'd'.repeat(120));
    const lock = await DataDirLock.acquire(deep, recordingLogger());
    expectDataDirConfigError(await DataDirLock.acquire(deep, recordingLogger()).catch((e: unknown) => e));
    expect(await readdir(deep)).toContain('LOCK-1.sock');
    await lock.release();
    await (await DataDirLock.acquire(deep, recordingLogger())).release();
  });

  it('close releases the lock, so the directory opens again', async () => {
    await (await FileStorage.open(dir)).close();
    await (await FileStorage.open(dir)).close();
  });

  it('dead generations and temporary sockets left by killed processes are taken over and cleared', async () => {
    await deadSocket('LOCK-3.sock');
    await deadSocket('LOCK-5.sock');
    await deadSocket('LOCK.0123456789abcdef.tmp.sock');
    const lock = await DataDirLock.acquire(dir, recordingLogger());
    expect((await readdir(dir)).filter((n) => n.endsWith('.sock'))).toEqual(['LOCK-6.sock']);
    await lock.release();
  });

  it('of several acquires at once in one process, exactly one gets the lock', async () => {
    for (let round = 0; round < 30; round++) {
      await deadSocket(`LOCK-${round + 1}.sock`);
      const outcomes = await Promise.allSettled(
        [1, 2, 3].map(() => DataDirLock.acquire(dir, recordingLogger())),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      expect(won, `round ${round}`).toHaveLength(1);
      for (const o of outcomes) if (o.status === 'rejected') expectDataDirConfigError(o.reason);
      await (won[0] as PromiseFulfilledResult<DataDirLock>).value.release();
      await unlink(join(dir, 'dead.tmp.sock')).catch(() => {});
      expect((await readdir(dir)).filter((n) => n.endsWith('.sock'))).toEqual([]);
    }
  });
});

describe('the kernel judges whether the holder lives', () => {
  it('another process holding the lock is respected, also while it is stopped (SIGSTOP)', async () => {
    const other = await holder();
    expect(await other.take()).toBe('held');
    expectDataDirConfigError(await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e));
    other.child.kill('SIGSTOP');
    try {
      expectDataDirConfigError(await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e));
    } finally {
      other.child.kill('SIGCONT');
    }
  });

  it('the lock of a process killed with SIGKILL is taken at once, with no wait', async () => {
    const other = await holder();
    expect(await other.take()).toBe('held');
    await other.kill();
    const lock = await DataDirLock.acquire(dir, recordingLogger());
    await lock.release();
  });

  it('of processes taking one lock at the same instant, exactly one gets it', async () => {
    for (let round = 0; round < 4; round++) {
      const racers = await Promise.all([holder(), holder(), holder()]);
      for (const r of racers) r.go();
      const answers = await Promise.all(racers.map((r) => r.nextLine()));
      expect(
        answers.filter((a) => a === 'held'),
        `round ${round}: ${answers.join(', ')}`,
      ).toHaveLength(1);
      expect(answers.filter((a) => a !== 'held')).toEqual(['refused BATON_CONFIG', 'refused BATON_CONFIG']);
      // The holder dies without releasing: the next round starts from its dead socket.
      await Promise.all(racers.map((r) => r.kill()));
    }
  });
});

describe('the lock file of an earlier version', () => {
  it('is removed when its process no longer runs (or is this very process: a container restart)', async () => {
    for (const pid of [deadPid(), process.pid]) {
      await writeFile(join(dir, LEGACY_LOCK_FILE_NAME), `${pid}\n${await pidSpace()}\nfeedfacefeedface\n`);
      const logger = recordingLogger();
      const lock = await DataDirLock.acquire(dir, logger);
      expect(logger.warnings).toEqual(['removing the lock file an earlier version left']);
      expect(await readdir(dir)).not.toContain(LEGACY_LOCK_FILE_NAME);
      await lock.release();
    }
  });

  it('is respected while its process runs, or when it comes from another container', async () => {
    for (const content of [`${process.ppid}\n`, `${deadPid()}\nanother-boot pid:[4026530000]\n`]) {
      await writeFile(join(dir, LEGACY_LOCK_FILE_NAME), content);
      expectDataDirConfigError(await DataDirLock.acquire(dir, recordingLogger()).catch((e: unknown) => e));
    }
  });
});
