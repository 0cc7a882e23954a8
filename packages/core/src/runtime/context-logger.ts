import type { Logger } from '../env.js';

/**
 * Wraps a logger so that every line carries the member id and its current
 * term and role, read at the moment of logging. The role is the public one
 * (the core's pre-candidate is a 'candidate', as `cluster.role` says). A
 * field the line sets itself wins: one key, never two (a JSON parser would
 * keep only one of them).
 */
export function withContext(
  base: Logger,
  member: string,
  state: () => { term: number; role: string } | undefined,
): Logger {
  const ctx = (obj: object) => {
    const s = state();
    return s ? { member, term: s.term, role: publicRoleName(s.role), ...obj } : { member, ...obj };
  };
  return {
    debug: (obj, msg) => base.debug(ctx(obj), msg),
    info: (obj, msg) => base.info(ctx(obj), msg),
    warn: (obj, msg) => base.warn(ctx(obj), msg),
    error: (obj, msg) => base.error(ctx(obj), msg),
  };
}

/** The role as the public API names it: the core's pre-candidate campaigns, so it is a candidate. */
export function publicRoleName(role: string): string {
  return role === 'preCandidate' ? 'candidate' : role;
}
