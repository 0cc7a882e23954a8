import { BatonError } from '../errors.js';

/**
 * Bounds every decoded peer message must respect. A frame or message beyond
 * any of them is refused with `BatonError('BATON_PROTOCOL')` before the Raft
 * core sees it, so a faulty or hostile peer cannot make a member allocate or
 * loop without bound.
 */
export interface MessageLimits {
  /** Most bytes in one frame; also bounds one snapshot and the command bytes of one append. */
  readonly bytesMax: number;
  /** Most entries in one append message. */
  readonly entriesMax: number;
  /** Most UTF-8 bytes in a member id or a read request id. */
  readonly idBytesMax: number;
  /** Most voters, learners or addresses in a snapshot's configuration. */
  readonly membersMax: number;
  /** Most UTF-8 bytes in a member address. */
  readonly addressBytesMax: number;
}

/**
 * Safe defaults: a 16 MiB frame holds a whole snapshot of the coordination
 * state with room to spare; 1024 entries is four times the Raft core's
 * default `entriesPerMessageMax`.
 */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = Object.freeze({
  bytesMax: 16 * 1024 * 1024,
  entriesMax: 1024,
  idBytesMax: 256,
  membersMax: 256,
  addressBytesMax: 2048,
});

/**
 * Fills in defaults and checks that every limit is a positive safe integer;
 * returns a frozen copy and leaves `input` untouched. Throws
 * `BatonError('BATON_CONFIG')` naming the field otherwise.
 */
export function resolveMessageLimits(input: Partial<MessageLimits> = {}): MessageLimits {
  const resolved: MessageLimits = { ...DEFAULT_MESSAGE_LIMITS, ...stripUndefined(input) };
  for (const field of Object.keys(DEFAULT_MESSAGE_LIMITS) as (keyof MessageLimits)[]) {
    const value = resolved[field];
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new BatonError('BATON_CONFIG', `${field} must be a positive integer, got ${String(value)}`, {
        field,
        value,
      });
    }
  }
  return Object.freeze(resolved);
}

function stripUndefined(input: Partial<MessageLimits>): Partial<MessageLimits> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}
