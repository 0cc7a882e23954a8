import { readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBatonError } from '../../src/errors.js';
import { DataDirLock, LOCK_FILE_NAME, TAKEOVER_FILE_NAME } from '../../src/storage/data-dir-lock.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { pidSpace } from '../../src/storage/lock-file.js';
import {
  commands,
  deadPid,
  hardState,
  makeTempDir,
  recordingLogger,
  removeTempDir,
} from './storage-test-kit.js';

/** Short timings so that staleness shows within a test. */
const FAST = { refreshMs: 20, staleMs: 200 };
/** A pid space no process here has: another container's pid namespace. */
const OTHER_SPACE = 'another-boot-id pid:[4026530000]';

let dir: string;
const stops: (() => void)[] = [];

beforeEach(async () => {
  dir = await makeTempDir();
});

afterEach(async () => {
  for (const stop of stops.splice(0)) stop();
  await removeTempDir(dir);
});

/**
 * A holder in another pid space that keeps refreshing its lock, as a running
 * member does, on a clock `skewMs` away from ours.
 */
async function liveHolderElsewhere(pid: number, skewMs = 0): Promise<void> {
  const path = join(dir, LOCK_FILE_NAME);
  await writeFile(path, `${pid}\n${OTHER_SPACE}\nfeedfacefeedface\n`);
  const timer = setInterval(() => {
    const now = new Date(Date.now() + skewMs);
    utimes(path, now, now).catch(() => {});
  }, FAST.refreshMs);
  stops.push(() => clearInterval(timer));
}

describe('the dataDir lock across pid namespaces and machines', () => {
  it('records the pid, on Linux the machine boot and pid namespace it belongs to, and a token', async () => {
    const lock = await DataDirLock.acquire(dir, recordingLogger(), FAST);
    const [pid, space, token] = (await readFile(join(dir, LOCK_FILE_NAME), 'utf8')).split('\n');
    expect(pid).toBe(String(process.pid));
    expect(space).toBe(await pidSpace());
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    if (process.platform === 'linux') expect(space).toMatch(/^[0-9a-f-]{36} pid:\[\d+\]$/);
    await lock.release();
  });

  it('a lock another container holds is respected, even when its pid is ours (pid 1 in both)', async () => {
    await liveHolderElsewhere(process.pid);
    const error = await DataDirLock.acquire(dir, recordingLogger(), FAST).catch((e: unknown) => e);
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toContain('another container or machine');
  });

  it('a refreshing holder is alive whatever its clock says: an hour behind ours, or ahead', async () => {
    for (const skewMs of [-3_600_000, 3_600_000]) {
      await liveHolderElsewhere(process.pid + 1, skewMs);
      const error = await DataDirLock.acquire(dir, recordingLogger(), FAST).catch((e: unknown) => e);
      expect(isBatonError(error, 'BATON_CONFIG'), `skew ${skewMs}`).toBe(true);
      for (const stop of stops.splice(0)) stop();
    }
  });

  it('a dead holder whose lock time is an hour ahead of our clock costs one watch, not an hour', async () => {
    const path = join(dir, LOCK_FILE_NAME);
    await writeFile(path, `${process.pid}\n${OTHER_SPACE}\nfeedfacefeedface\n`);
    const ahead = new Date(Date.now() + 3_600_000);
    await utimes(path, ahead, ahead);
    const started = Date.now();
    const lock = await DataDirLock.acquire(dir, recordingLogger(), FAST);
    expect(Date.now() - started).toBeLessThan(FAST.staleMs + 1000);
    await lock.release();
  });

  it('a holder whose lock another process took over stops refreshing it, says so, and does not delete it', async () => {
    const logger = recordingLogger();
    const lock = await DataDirLock.acquire(dir, logger, FAST);
    const path = join(dir, LOCK_FILE_NAME);
    const successor = `${process.pid + 1}\n${OTHER_SPACE}\n0123456789abcdef\n`;
    await writeFile(path, successor);
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await new Promise((resolve) => setTimeout(resolve, 5 * FAST.refreshMs));
    expect(logger.warnings.some((w) => w.includes('no longer this process'))).toBe(true);
    const { mtimeMs } = await stat(path);
    expect(Math.abs(mtimeMs - old.getTime())).toBeLessThan(1000); // not refreshed by the old holder
    await lock.release();
    expect(await readFile(path, 'utf8')).toBe(successor); // not deleted either
  });

  it('storage whose lock another process took over writes nothing more: the member stops on its next write', async () => {
    const storage = await FileStorage.open(dir, { lockTiming: FAST });
    await storage.persist({ entries: commands(1, 2, 1), hardState: hardState(1, 0), sync: true });
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.pid + 1}\n${OTHER_SPACE}\n0123456789abcdef\n`);
    await new Promise((resolve) => setTimeout(resolve, 5 * FAST.refreshMs));
    await expect(
      storage.persist({ entries: commands(3, 3, 1), hardState: hardState(1, 0), sync: true }),
    ).rejects.toMatchObject({ code: 'BATON_STOPPED', message: expect.stringContaining('dataDir lock') });
    await storage.close().catch(() => {});
  });

  it('a lock another container stopped refreshing (its holder died) is taken over once it is stale', async () => {
    await writeFile(join(dir, LOCK_FILE_NAME), `${process.pid}\n${OTHER_SPACE}\nfeedfacefeedface\n`);
    const logger = recordingLogger();
    const started = Date.now();
    const lock = await DataDirLock.acquire(dir, logger, FAST);
    expect(Date.now() - started).toBeGreaterThanOrEqual(FAST.staleMs - 50); // it waited for a refresh that never came
    expect(logger.warnings).toContain('taking over the stale lock of a process that no longer runs');
    await lock.release();
  });

  it('a holder refreshes its lock file while it holds it', async () => {
    const lock = await DataDirLock.acquire(dir, recordingLogger(), FAST);
    const path = join(dir, LOCK_FILE_NAME);
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    await new Promise((resolve) => setTimeout(resolve, 5 * FAST.refreshMs));
    const { mtimeMs } = await stat(path);
    expect(Date.now() - mtimeMs).toBeLessThan(FAST.staleMs);
    await lock.release();
  });

  it('the next holder removes a takeover marker and temporary files that dead processes left', async () => {
    await writeFile(join(dir, TAKEOVER_FILE_NAME), `${deadPid()}\n${await pidSpace()}\n`);
    const oldTemp = `${LOCK_FILE_NAME}.${deadPid()}.0123456789ab.tmp`;
    const newTemp = `${LOCK_FILE_NAME}.${deadPid()}.ba9876543210.tmp`;
    await writeFile(join(dir, oldTemp), '1\n');
    await writeFile(join(dir, newTemp), '1\n');
    const longAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(dir, oldTemp), longAgo, longAgo);
    const lock = await DataDirLock.acquire(dir, recordingLogger(), FAST);
    // A fresh temporary file may belong to a process publishing right now: it stays.
    expect((await readdir(dir)).sort()).toEqual([LOCK_FILE_NAME, newTemp].sort());
    await lock.release();
  });
});
