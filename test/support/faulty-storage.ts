import type { Snapshot } from '../../packages/core/src/raft/types.js';
import type {
  LogStorage,
  PersistBatch,
  RecoveredState,
} from '../../packages/core/src/storage/log-storage.js';

/**
 * Disk faults a member's storage can meet:
 * - `ENOSPC`: the disk is full; nothing of the write lands;
 * - `EIO-write`: the write itself fails;
 * - `EIO-fsync`: the write lands in the page cache, the fsync then fails, so
 *   whether it is durable is unknown (it may be there after a restart);
 * - `EROFS`: the file system went read-only (ext4 does so on errors).
 */
export type DiskFault = 'ENOSPC' | 'EIO-write' | 'EIO-fsync' | 'EROFS';
export const DISK_FAULTS: readonly DiskFault[] = ['ENOSPC', 'EIO-write', 'EIO-fsync', 'EROFS'];

/** The errno code a fault surfaces as. */
export function errnoOf(fault: DiskFault): string {
  return fault === 'ENOSPC' ? 'ENOSPC' : fault === 'EROFS' ? 'EROFS' : 'EIO';
}

/**
 * A LogStorage that passes everything to `inner` until a fault is armed;
 * from then on every write fails with it, as a failed disk keeps failing.
 */
export class FaultyStorage implements LogStorage {
  private fault: DiskFault | undefined;
  /** Writes refused since the fault was armed. */
  failures = 0;

  constructor(private readonly inner: LogStorage) {}

  arm(fault: DiskFault): void {
    this.fault = fault;
  }

  load(): Promise<RecoveredState> {
    return this.inner.load();
  }

  async persist(batch: PersistBatch): Promise<void> {
    const fault = this.fault;
    if (fault === undefined) return await this.inner.persist(batch);
    this.failures++;
    // The bytes reach the file; only the fsync that would make them durable fails.
    if (fault === 'EIO-fsync') await this.inner.persist({ ...batch, sync: false });
    throw errnoError(fault);
  }

  async saveSnapshot(snapshot: Snapshot): Promise<void> {
    const fault = this.fault;
    if (fault === undefined) return await this.inner.saveSnapshot(snapshot);
    this.failures++;
    throw errnoError(fault);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function errnoError(fault: DiskFault): NodeJS.ErrnoException {
  const code = errnoOf(fault);
  const syscall = fault === 'EIO-fsync' ? 'fdatasync' : 'write';
  const error: NodeJS.ErrnoException = new Error(`${code}: ${syscall} failed (injected ${fault})`);
  error.code = code;
  error.syscall = syscall;
  return error;
}
