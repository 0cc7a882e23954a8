import type { ValidityKind } from '../chaos-protocol.js';
import { monotonicNowMs } from '../chaos-protocol.js';
import { emit } from './emit.js';

/** How often `valid` is polled while something is held. */
const POLL_MS = 3;
/** How often a run of `valid` = true is reported while it lasts (bounds what a SIGKILL hides). */
const REPORT_MS = 15;

/** Anything with a validity the harness checks: a leadership token, a held lock, a won election. */
export interface Holder {
  readonly valid: boolean;
  readonly signal: AbortSignal;
}

/**
 * Reports the runs during which `holder.valid` was true, as 'valid' (the
 * instant read just after the first true check), 'seen' (still true at an
 * instant read just before a check) and 'end' (the instant read just before
 * the last true check), until the holder's signal has aborted and valid is
 * false, or `until` aborts. `valid` is polled rather than inferred from the
 * signal because it is what code about to act as the holder checks.
 *
 * The bounds are the inner ones: a holder's validity is one unbroken
 * stretch, true at some instant of each true check, so it surely covers
 * [after the first true check, before the last]. Two such stretches that
 * overlap prove two valid holders at one instant, however long the process
 * was descheduled between a check and reading the clock; the outer bounds
 * (before the first, after the last) do not, and on a loaded machine they
 * reported overlaps of a few milliseconds that a preemption explains.
 */
export function watchValidity(
  holder: Holder,
  kind: ValidityKind,
  key: string,
  token: number,
  until?: AbortSignal,
): Promise<void> {
  return new Promise((resolve) => {
    let inRun = false;
    let lastTrueAt = 0;
    let lastReportAt = 0;
    const poll = (): void => {
      const before = monotonicNowMs();
      const valid = holder.valid;
      const after = monotonicNowMs();
      if (valid) {
        if (!inRun) {
          inRun = true;
          emit({ ev: 'valid', kind, key, token }, after);
          lastReportAt = after;
          lastTrueAt = after;
        } else {
          if (after - lastReportAt >= REPORT_MS) {
            emit({ ev: 'seen', kind, key, token }, before);
            lastReportAt = after;
          }
          lastTrueAt = before;
        }
      } else if (inRun) {
        inRun = false;
        emit({ ev: 'end', kind, key, token, lastTrueAt });
      }
      if ((!valid && holder.signal.aborted) || until?.aborted) finish();
    };
    const finish = (): void => {
      clearInterval(timer);
      holder.signal.removeEventListener('abort', poll);
      until?.removeEventListener('abort', finish);
      if (inRun) emit({ ev: 'end', kind, key, token, lastTrueAt });
      inRun = false;
      resolve();
    };
    const timer = setInterval(poll, POLL_MS);
    holder.signal.addEventListener('abort', poll, { once: true });
    until?.addEventListener('abort', finish, { once: true });
    poll();
  });
}
