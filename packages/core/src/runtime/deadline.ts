import type { TimerHandle, Timers } from '../env.js';
import { BatonError } from '../errors.js';

export interface DeadlineOptions {
  readonly timers: Timers;
  /** Time allowed, from now. */
  readonly ms: number;
  readonly signal?: AbortSignal | undefined;
  /** The message of the BATON_UNAVAILABLE error on timeout. */
  readonly timeoutMessage: string;
  /** Called once when the wait is given up (timeout or abort), to withdraw whatever waits on `p`. */
  readonly onGiveUp?: () => void;
}

/**
 * Races `p` against a timeout (BATON_UNAVAILABLE) and the caller's signal
 * (BATON_ABORTED, with the signal's reason as cause). The timer and the abort
 * listener are removed whichever way it ends.
 */
export function withDeadline<T>(p: Promise<T>, o: DeadlineOptions): Promise<T> {
  if (o.signal?.aborted) {
    o.onGiveUp?.();
    return Promise.reject(abortedError(o.signal));
  }
  return new Promise<T>((resolve, reject) => {
    let timer: TimerHandle | undefined;
    const onAbort = () => giveUp(abortedError(o.signal!));
    const cleanup = () => {
      timer?.cancel();
      o.signal?.removeEventListener('abort', onAbort);
    };
    const giveUp = (error: BatonError) => {
      cleanup();
      o.onGiveUp?.();
      reject(error);
    };
    timer = o.timers.setTimeout(() => giveUp(new BatonError('BATON_UNAVAILABLE', o.timeoutMessage)), o.ms);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e) => {
        cleanup();
        reject(e);
      },
    );
  });
}

export function abortedError(signal: AbortSignal): BatonError {
  return new BatonError('BATON_ABORTED', 'the wait was aborted', { cause: signal.reason });
}
