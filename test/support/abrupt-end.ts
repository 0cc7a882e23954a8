/**
 * Synchronous clean-ups for when this process ends before a test's own
 * clean-up ran: on 'exit', and on SIGINT, SIGTERM or SIGHUP, which end a
 * process without 'exit'. After the clean-ups the signal is raised again,
 * so it still does what it would have done.
 */
const cleanups = new Set<() => void>();

/** Newest first, like scopes unwinding: children are killed before the directory they write in goes. */
function runCleanups(): void {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      cleanup();
    } catch {
      // Best effort: the process is ending anyway, and every other clean-up must still run.
    }
  }
  cleanups.clear();
}

process.on('exit', runCleanups);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    runCleanups();
    process.kill(process.pid, signal);
  });
}

/** Registers `cleanup` (synchronous) to run if this process ends abruptly; returns its unregistration. */
export function onAbruptEnd(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}
