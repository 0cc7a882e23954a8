import { encodeEnvelope } from '../../src/state/command-envelope.js';

/** The entry data of a plain (sessionless) command carrying `payload`, as NodeLoop.append takes it. */
export function plainCommand(payload: Uint8Array): Uint8Array {
  return encodeEnvelope({ kind: 'plain', payload });
}
