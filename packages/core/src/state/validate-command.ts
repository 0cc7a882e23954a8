import type {
  CommandRejected,
  CoordinationCommand,
  CoordinationErrorCode,
  LockSpace,
} from './coordination-commands.js';
import { NAME_BYTES_MAX, OWNER_BYTES_MAX, TTL_MS_MAX, VALUE_BYTES_MAX } from './coordination-limits.js';
import { identifierProblem, valueProblem } from './text-checks.js';

/** A refused command's answer. */
export function rejected(code: CoordinationErrorCode, message: string): CommandRejected {
  return { type: 'error', code, message };
}

/**
 * Checks everything about a command that does not depend on the state: ids
 * are positive safe integers, names, owners and values within their bounds,
 * ttlMs within 1..TTL_MS_MAX. Returns the refusal, or undefined when the
 * command is well-formed. Both the encoder (so a caller learns at once) and
 * apply (the bytes may come from anywhere) run it; it never throws.
 */
export function checkCommand(command: CoordinationCommand): CommandRejected | undefined {
  switch (command.type) {
    case 'grantLease': {
      const { ttlMs } = command;
      if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > TTL_MS_MAX) {
        return rejected('invalid-ttl', `ttlMs must be an integer in 1..${TTL_MS_MAX}, got ${String(ttlMs)}`);
      }
      const problem = identifierProblem(command.owner, OWNER_BYTES_MAX);
      return problem === undefined ? undefined : rejected('invalid-owner', `the owner ${problem}`);
    }
    case 'revokeLease':
    case 'expireLease':
      return idProblem('leaseId', command.leaseId);
    case 'acquire':
      return (
        lockProblem(command.space, command.name, command.leaseId) ??
        (command.value === undefined ? undefined : valueRejected(command.value)) ??
        (typeof command.wait === 'boolean'
          ? undefined
          : rejected('malformed-command', 'wait must be a boolean'))
      );
    case 'release':
      return (
        lockProblem(command.space, command.name, command.leaseId) ??
        idProblem('fencingToken', command.fencingToken)
      );
    case 'cancel':
      return (
        lockProblem(command.space, command.name, command.leaseId) ?? idProblem('waiterId', command.waiterId)
      );
    default:
      return rejected(
        'malformed-command',
        `unknown command type ${String((command as { type: unknown }).type)}`,
      );
  }
}

function lockProblem(space: LockSpace, name: string, leaseId: number): CommandRejected | undefined {
  if (space !== 'lock' && space !== 'election') {
    return rejected('malformed-command', `space must be 'lock' or 'election', got ${String(space)}`);
  }
  const problem = identifierProblem(name, NAME_BYTES_MAX);
  if (problem !== undefined) return rejected('invalid-name', `the ${space} name ${problem}`);
  return idProblem('leaseId', leaseId);
}

function valueRejected(value: string): CommandRejected | undefined {
  const problem = valueProblem(value, VALUE_BYTES_MAX);
  return problem === undefined ? undefined : rejected('invalid-value', `the value ${problem}`);
}

/** Lease ids, fencing tokens and waiter ids are log indexes: positive safe integers. */
function idProblem(field: string, id: number): CommandRejected | undefined {
  if (Number.isSafeInteger(id) && id >= 1) return undefined;
  return rejected('malformed-command', `${field} must be a positive safe integer, got ${String(id)}`);
}
