import type { Logger } from '../env.js';

/**
 * Wraps a logger so that every line carries the member id and its current
 * term and role, read at the moment of logging.
 */
export function withContext(
  base: Logger,
  member: string,
  state: () => { term: number; role: string } | undefined,
): Logger {
  const ctx = (obj: object) => {
    const s = state();
    return s ? { member, term: s.term, role: s.role, ...obj } : { member, ...obj };
  };
  return {
    debug: (obj, msg) => base.debug(ctx(obj), msg),
    info: (obj, msg) => base.info(ctx(obj), msg),
    warn: (obj, msg) => base.warn(ctx(obj), msg),
    error: (obj, msg) => base.error(ctx(obj), msg),
  };
}
