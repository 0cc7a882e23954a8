/**
 * What one durable write costs on this machine's disk, the floor under every
 * commit: a small record appended durably as the WAL appends it (O_DSYNC on
 * Linux, a write and a datasync elsewhere), by one writer alone, and by
 * three writers at once, as the three members of `pnpm bench` share one
 * disk. The figures move with the disk from day to day; printed beside the
 * bench's own, they tell a slow-disk sitting from a slow build.
 */
import { constants } from 'node:fs';
import { type FileHandle, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DiskProbe {
  /** Microseconds per durable append, one writer alone. */
  readonly aloneP50Us: number;
  readonly aloneP99Us: number;
  /** Microseconds per durable append, three writers at once (each its own file). */
  readonly threeP50Us: number;
  readonly threeP99Us: number;
}

const RECORD_BYTES = 64;
/** As the WAL: an O_DSYNC write on Linux only (storage/wal.ts, openDsync); elsewhere a write and a datasync. */
const DSYNC = process.platform === 'linux' && constants.O_DSYNC !== undefined;

/** Measures `writes` appends per writer in a temporary directory under `parent` (where the WAL goes). */
export async function probeDisk(writes = 500, parent = tmpdir()): Promise<DiskProbe> {
  const dir = await mkdtemp(join(parent, 'baton-disk-probe-'));
  try {
    const alone = await appendTimes(dir, 1, writes);
    const three = await appendTimes(dir, 3, writes);
    return {
      aloneP50Us: percentile(alone, 0.5),
      aloneP99Us: percentile(alone, 0.99),
      threeP50Us: percentile(three, 0.5),
      threeP99Us: percentile(three, 0.99),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each of `writers` appends `writes` records to its own new file, all at once; every write's time in µs. */
async function appendTimes(dir: string, writers: number, writes: number): Promise<number[]> {
  const times: number[] = [];
  const handles: FileHandle[] = [];
  try {
    for (let w = 0; w < writers; w++) {
      const flags =
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (DSYNC ? constants.O_DSYNC : 0);
      handles.push(await open(join(dir, `writer-${writers}-${w}`), flags));
    }
    const record = Buffer.alloc(RECORD_BYTES, 0x5a);
    await Promise.all(
      handles.map(async (handle) => {
        for (let i = 0; i < writes; i++) {
          const started = process.hrtime.bigint();
          await handle.write(record, 0, RECORD_BYTES, i * RECORD_BYTES);
          // Elsewhere the write alone is not durable: flush it as the WAL does there.
          if (!DSYNC) await handle.datasync();
          times.push(Number(process.hrtime.bigint() - started) / 1e3);
        }
      }),
    );
  } finally {
    await Promise.all(handles.map((handle) => handle.close()));
  }
  return times;
}

function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}
