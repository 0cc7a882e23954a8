import { mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogIndex, Snapshot } from '../raft/types.js';
import type { StorageLogger } from './log-storage.js';
import { decodeSnapshotPayload, snapshotRecord } from './record-payloads.js';
import { RECORD_PAYLOAD_BYTES_LIMIT, RECORD_TYPES, readRecord } from './wal-record.js';
import { corruptAt } from './wal-replay.js';
import { readBytes, syncDirectory } from './wal-scan.js';

/** How many snapshots stay on disk: the newest, and one older for manual recovery. */
export const SNAPSHOTS_KEPT_MAX = 2;

const DIGITS = 16;
const SNAPSHOT_NAME = /^snap-(\d{16})\.snap$/;
const TEMP_SUFFIX = '.tmp';

/**
 * Snapshot files in one directory, `snap-<index>.snap`, each a single framed
 * record (CRC-checked). A save is atomic: write a temp file, fsync it,
 * rename it into place, fsync the directory; a crash leaves either the old
 * set of snapshots or the new one, plus at most a temp file that the next
 * open deletes. Saves run one at a time, in call order.
 */
export class SnapshotStore {
  private newest: Snapshot | undefined;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly logger: StorageLogger,
  ) {}

  /**
   * Opens `dir` (created if missing), deletes leftover temp files and reads the
   * newest snapshot. A damaged newest snapshot throws
   * `BatonError('BATON_STORAGE_CORRUPT')` naming it: it was fsynced before it
   * was renamed into place, so damage is not an interrupted write, and the
   * WAL no longer holds what it covered.
   */
  static async open(dir: string, logger: StorageLogger): Promise<SnapshotStore> {
    await mkdir(dir, { recursive: true });
    const store = new SnapshotStore(dir, logger);
    const files = await readdir(dir);
    for (const file of files.filter((name) => name.endsWith(TEMP_SUFFIX))) {
      await unlink(join(dir, file));
      logger.warn({ file: join(dir, file) }, 'deleted the temp file of an interrupted snapshot save');
    }
    const newest = snapshotFiles(files).at(-1);
    if (newest !== undefined) store.newest = await readSnapshotFile(join(dir, newest.file), newest.index);
    return store;
  }

  /** The newest durable snapshot, if any. */
  get current(): Snapshot | undefined {
    return this.newest;
  }

  /**
   * Makes `snapshot` durable, then deletes all but the newest
   * {@link SNAPSHOTS_KEPT_MAX}. Resolves once it is durable.
   */
  save(snapshot: Snapshot): Promise<void> {
    const saved = this.saving.then(() => this.write(snapshot));
    // The chain continues past a failed save; that caller sees its own error.
    this.saving = saved.catch(() => {});
    return saved;
  }

  /** Resolves once every save called so far has finished, successfully or not. */
  flush(): Promise<void> {
    return this.saving;
  }

  private async write(snapshot: Snapshot): Promise<void> {
    const name = snapshotFileName(snapshot.meta.index);
    const temp = join(this.dir, name + TEMP_SUFFIX);
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(snapshotRecord(snapshot));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, join(this.dir, name));
    await syncDirectory(this.dir);
    if (this.newest === undefined || snapshot.meta.index > this.newest.meta.index) this.newest = snapshot;
    await this.prune();
  }

  private async prune(): Promise<void> {
    const files = snapshotFiles(await readdir(this.dir));
    for (const old of files.slice(0, Math.max(0, files.length - SNAPSHOTS_KEPT_MAX))) {
      await unlink(join(this.dir, old.file));
      this.logger.info({ file: join(this.dir, old.file) }, 'old snapshot deleted');
    }
  }
}

function snapshotFileName(index: LogIndex): string {
  return `snap-${String(index).padStart(DIGITS, '0')}.snap`;
}

/** Snapshot files among `files`, oldest first. */
function snapshotFiles(files: readonly string[]): Array<{ file: string; index: LogIndex }> {
  const found: Array<{ file: string; index: LogIndex }> = [];
  for (const file of files) {
    const match = SNAPSHOT_NAME.exec(file);
    const index = Number(match?.[1]);
    if (match !== null && Number.isSafeInteger(index)) found.push({ file, index });
  }
  return found.sort((a, b) => a.index - b.index);
}

async function readSnapshotFile(path: string, index: LogIndex): Promise<Snapshot> {
  const bytes = await readBytes(path);
  const read = readRecord(bytes, 0, RECORD_PAYLOAD_BYTES_LIMIT);
  if (!read.ok) throw corruptAt(path, 0, `damaged snapshot record (${read.problem})`);
  if (read.type !== RECORD_TYPES.snapshot || read.end !== bytes.length) {
    throw corruptAt(path, read.end, 'not a single snapshot record');
  }
  let snapshot: Snapshot;
  try {
    snapshot = decodeSnapshotPayload(read.payload);
  } catch (error) {
    throw corruptAt(path, 0, 'the snapshot does not decode', error);
  }
  if (snapshot.meta.index !== index) {
    throw corruptAt(path, 0, `the snapshot holds index ${snapshot.meta.index}, its name says ${index}`);
  }
  return snapshot;
}
