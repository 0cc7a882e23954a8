/** Every stable error code Baton throws. Tests and callers branch on these, never on message text. */
export const BatonErrorCodes = [
  'BATON_CONFIG',
  'BATON_ABORTED',
  'BATON_LOCK_TIMEOUT',
  'BATON_LOCK_LOST',
  'BATON_LEASE_EXPIRED',
  'BATON_NOT_HELD',
  'BATON_LEADERSHIP_LOST',
  'BATON_NOT_LEADER',
  'BATON_UNAVAILABLE',
  'BATON_STOPPED',
  'BATON_STORAGE_CORRUPT',
  'BATON_PROTOCOL',
  'BATON_TOO_LARGE',
] as const;

/**
 * The stable code of a {@link BatonError}: `'BATON_CONFIG'`, `'BATON_ABORTED'`,
 * `'BATON_LOCK_TIMEOUT'`, `'BATON_LOCK_LOST'`, `'BATON_LEASE_EXPIRED'`,
 * `'BATON_NOT_HELD'`, `'BATON_LEADERSHIP_LOST'`, `'BATON_NOT_LEADER'`,
 * `'BATON_UNAVAILABLE'`, `'BATON_STOPPED'`, `'BATON_STORAGE_CORRUPT'`,
 * `'BATON_PROTOCOL'` or `'BATON_TOO_LARGE'`. The README's error table says
 * when each is thrown.
 */
export type BatonErrorCode = (typeof BatonErrorCodes)[number];

/** What a BatonError carries besides its code and message. */
export interface BatonErrorOptions {
  /** The error or reason this one wraps (an abort signal's reason, a lost-leadership cause, an I/O error). */
  cause?: unknown;
  /** For BATON_CONFIG: the option that was wrong. */
  field?: string;
  /** For BATON_CONFIG: the value that was given. */
  value?: unknown;
}

/** The one error class Baton throws; `code` is stable across versions and survives forwarding. */
export class BatonError extends Error {
  /** What went wrong, as a stable string; branch on this, never on `message`. */
  readonly code: BatonErrorCode;
  /** For BATON_CONFIG: the option that was wrong (e.g. `'heartbeatMs'`, `'tls.ca'`, `'dataDir'`, `'ttlMs'`). */
  readonly field: string | undefined;
  /** For BATON_CONFIG: the value that was given (a secret or key is reported as `'(redacted)'`). */
  readonly value: unknown;

  constructor(code: BatonErrorCode, message: string, options: BatonErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BatonError';
    this.code = code;
    this.field = options.field;
    this.value = options.value;
  }
}

/** True when `e` is a BatonError, and (if given) has the code `code`. */
export function isBatonError(e: unknown, code?: BatonErrorCode): e is BatonError {
  return e instanceof BatonError && (code === undefined || e.code === code);
}
