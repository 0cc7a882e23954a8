import { BatonError } from '../errors.js';

/**
 * A BATON_CONFIG error for option `field`, as one plain sentence: what was
 * expected and what was given ("option heartbeatMs must be a positive number
 * (got -5)"). `value` is kept on the error (pass a placeholder for secrets);
 * `given` replaces its rendering in the message.
 */
export function configError(field: string, value: unknown, expected: string, given?: string): BatonError {
  return new BatonError(
    'BATON_CONFIG',
    `option ${field} must be ${expected} (got ${given ?? describeValue(value)})`,
    {
      field,
      value,
    },
  );
}

/** A short rendering of a given value for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `an array [${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'object' && value !== null)
    return `an object with ${Object.keys(value).join(', ') || 'no keys'}`;
  if (typeof value === 'function') return 'a function';
  return String(value);
}
