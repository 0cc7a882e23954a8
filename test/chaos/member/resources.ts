import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Cluster } from '@baton/core';
import type { MemberResources } from '../chaos-protocol.js';

/** `gc` exists when the process runs with --expose-gc (chaos-cluster.ts starts members so). */
const forceGc = (globalThis as { gc?: () => void }).gc;

/**
 * Measures what this member holds: the heap after a full collection (so
 * garbage not yet collected does not look like growth), RSS, open file
 * descriptors and the bytes of its WAL segments and snapshots on disk.
 */
export async function measureResources(cluster: Cluster, dataDir: string): Promise<MemberResources> {
  const wal = await directoryBytes(join(dataDir, 'wal'), (file) => file.endsWith('.log'));
  const snap = await directoryBytes(join(dataDir, 'snap'), () => true);
  const fds = await openDescriptors();
  forceGc?.();
  const memory = process.memoryUsage();
  return {
    heapUsed: memory.heapUsed,
    gcForced: forceGc !== undefined,
    rss: memory.rss,
    fds,
    walBytes: wal.bytes,
    walSegments: wal.files,
    snapshotBytes: snap.bytes,
    walBytesWritten: cluster.storageStats()?.bytes ?? 0,
    appliedIndex: cluster.status().appliedIndex,
  };
}

/** Descriptors open in this process; null where /proc is missing (not Linux). */
async function openDescriptors(): Promise<number | null> {
  try {
    // The listing itself holds one descriptor on the directory while it reads.
    return (await readdir('/proc/self/fd')).length - 1;
  } catch {
    return null;
  }
}

/** Bytes and count of the files in `dir` that `include` picks; files deleted while listing are skipped. */
async function directoryBytes(
  dir: string,
  include: (file: string) => boolean,
): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter(include)) {
    const size = await stat(join(dir, name)).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) continue;
    bytes += size;
    files += 1;
  }
  return { bytes, files };
}
