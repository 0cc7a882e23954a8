import { BatonError } from '@baton/core';

/** Options of `new Locks(cluster, options)`; checked at construction (BATON_CONFIG naming the field). */
export interface LocksOptions {
  /** TTL of the one lease this Locks instance holds its locks on (default 10,000 ms). */
  readonly ttlMs?: number;
}

export interface ResolvedLocksOptions {
  readonly ttlMs: number;
}

const KNOWN = new Set(['ttlMs']);

/** Defaults filled in and checked once; BATON_CONFIG naming the field otherwise. */
export function resolveLocksOptions(input: LocksOptions = {}): ResolvedLocksOptions {
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key)) {
      throw new BatonError(
        'BATON_CONFIG',
        `Locks options: unknown option ${JSON.stringify(key)}; expected ttlMs`,
        {
          field: key,
          value: (input as Record<string, unknown>)[key],
        },
      );
    }
  }
  const ttlMs = input.ttlMs ?? 10_000;
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new BatonError(
      'BATON_CONFIG',
      `ttlMs must be a whole number of milliseconds, got ${String(ttlMs)}`,
      {
        field: 'ttlMs',
        value: ttlMs,
      },
    );
  }
  return Object.freeze({ ttlMs });
}
