/**
 * Resolves once `signal` has aborted — at once if it already has. An
 * 'abort' listener added to a signal that aborted earlier never runs: a
 * leadership token can be issued and lost in one turn of the event loop,
 * before the code that awaited it gets to listen.
 */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
