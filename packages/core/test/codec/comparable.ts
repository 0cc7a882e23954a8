import { Buffer } from 'node:buffer';

/**
 * A copy of `value` with every Uint8Array replaced by its base64 text, so
 * `toEqual` compares megabyte payloads as one string instead of element by
 * element (which takes seconds per megabyte).
 */
export function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, comparable(item)]));
  }
  return value;
}
