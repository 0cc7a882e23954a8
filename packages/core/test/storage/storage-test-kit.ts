import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Entry, HardState, LogIndex, Snapshot, Term } from '../../src/raft/types.js';
import { FileStorage, type FileStorageOptions } from '../../src/storage/file-storage.js';
import type { StorageLogger } from '../../src/storage/log-storage.js';

/** Command entries `from..to` of `term`, each carrying its index as data. */
export function commands(from: LogIndex, to: LogIndex, term: Term): Entry[] {
  const entries: Entry[] = [];
  for (let index = from; index <= to; index++) {
    entries.push({ type: 'command', term, index, data: Uint8Array.of(index % 256, term % 256, 7) });
  }
  return entries;
}

export function hardState(term: Term, commit: LogIndex, vote: string | undefined = 'n1'): HardState {
  return { term, vote, commit };
}

export function snapshotAt(index: LogIndex, term: Term, data: Uint8Array = Uint8Array.of(1, 2, 3)): Snapshot {
  return { meta: { index, term, config: { voters: ['n1', 'n2', 'n3'], learners: [], addresses: {} } }, data };
}

/** Opens a FileStorage on `dir`, runs `run` on it, and closes it whatever `run` did. */
export async function withFileStorage<T>(
  dir: string,
  run: (storage: FileStorage) => Promise<T>,
  options?: FileStorageOptions,
): Promise<T> {
  const storage = await FileStorage.open(dir, options);
  try {
    return await run(storage);
  } finally {
    await storage.close();
  }
}

/** `[index, term]` pairs: enough to compare logs without the noise of whole entries. */
export function shape(entries: readonly Entry[]): Array<[LogIndex, Term]> {
  return entries.map((entry) => [entry.index, entry.term]);
}

/** A fresh directory under the OS temp dir; remove it with {@link removeTempDir}. */
export function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'baton-storage-'));
}

export function removeTempDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}

/** Segment file names in a data directory's WAL, in creation order. */
export async function walSegments(dataDir: string): Promise<string[]> {
  return (await readdir(join(dataDir, 'wal'))).filter((name) => name.endsWith('.log')).sort();
}

/** A logger that records what it is told, so tests can check that recovery reported a repair. */
export function recordingLogger(): StorageLogger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info: () => {},
    warn: (_obj, msg) => {
      warnings.push(msg);
    },
  };
}

/** The pid of a process that has exited, for a stale lock file. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  if (child.pid === undefined) throw new Error('could not start a child process');
  return child.pid;
}
