import type { HardState, LogIndex } from '../raft/types.js';
import type { PersistBatch } from './log-storage.js';

/**
 * Whether `batch` only moves the commit index of `stored`, the hard state
 * last handed to the disk: no entries, no snapshot, no sync asked, the same
 * term and vote, and no configuration entry committed by it (`passesConfig`
 * tells, for the new commit index). Such a hard state need not be written on
 * its own: Raft needs no commit index on disk (a member that restarts behind
 * learns it again), except that a restarted member rebuilds its
 * configuration from the entries up to its stored commit index. FileStorage
 * lets it ride the next write; the runtime simulator's disk does the same, so
 * a crash loses it there too.
 */
export function isCommitOnly(
  batch: PersistBatch,
  stored: HardState | undefined,
  passesConfig: (commit: LogIndex) => boolean,
): batch is PersistBatch & { hardState: HardState } {
  const { hardState } = batch;
  return (
    hardState !== undefined &&
    !batch.sync &&
    batch.snapshot === undefined &&
    batch.entries.length === 0 &&
    stored !== undefined &&
    hardState.term === stored.term &&
    hardState.vote === stored.vote &&
    !passesConfig(hardState.commit)
  );
}
