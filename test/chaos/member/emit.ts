import type { ChaosEventBody } from '../chaos-protocol.js';
import { monotonicNowMs } from '../chaos-protocol.js';

/** Writes one event line; stdout is a pipe, whose writes are synchronous on Linux, so none is lost on SIGKILL. */
export function emit(event: ChaosEventBody, at: number = monotonicNowMs()): void {
  process.stdout.write(`${JSON.stringify({ at, ...event })}\n`);
}

/** The `code` of a BatonError (or of anything else that has one), else 'UNKNOWN'. */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'UNKNOWN';
}

/** Resolves after `ms`, or at once when `signal` aborts: a workload's think time, never a wait for a condition. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
