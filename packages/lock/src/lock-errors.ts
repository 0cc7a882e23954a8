import { BatonError, type CoordinationResult } from '@baton/core';

/** The public error for a refusal the coordination state answered. */
export function refusal(name: string, result: Extract<CoordinationResult, { type: 'error' }>): BatonError {
  switch (result.code) {
    case 'invalid-name':
      return new BatonError('BATON_CONFIG', `lock name ${JSON.stringify(name)}: ${result.message}`, {
        field: 'name',
        value: name,
      });
    case 'not-held':
      return new BatonError('BATON_NOT_HELD', `lock ${JSON.stringify(name)} is not held by this grant`);
    case 'unknown-lease':
      return new BatonError('BATON_LOCK_LOST', `the lease behind lock ${JSON.stringify(name)} has ended`);
    default:
      return new BatonError(
        'BATON_UNAVAILABLE',
        `lock ${JSON.stringify(name)}: ${result.code}: ${result.message}`,
      );
  }
}

/** Anything else a command could answer here is a bug: say so plainly. */
export function unexpected(name: string, result: CoordinationResult): BatonError {
  return new BatonError(
    'BATON_UNAVAILABLE',
    `lock ${JSON.stringify(name)}: unexpected answer ${result.type}`,
  );
}
