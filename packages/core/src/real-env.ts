import { performance } from 'node:perf_hooks';
import { nanoid } from 'nanoid';
import type { Env } from './env.js';

/** The production environment: performance.now(), Node timers, Math.random, nanoid. */
export function realEnv(): Env {
  return {
    clock: { now: () => performance.now() },
    timers: {
      setTimeout(fn, delayMs) {
        const t = setTimeout(fn, Math.max(0, delayMs));
        return { cancel: () => clearTimeout(t) };
      },
    },
    random: Math.random,
    newId: () => nanoid(),
  };
}
