import { encodeCommand } from '../../src/state/command-codec.js';
import type {
  CoordinationCommand,
  CoordinationEffect,
  CoordinationResult,
  LockSpace,
} from '../../src/state/coordination-commands.js';
import type { CoordinationLimits } from '../../src/state/coordination-limits.js';
import { CoordinationState } from '../../src/state/coordination-state.js';

/** What one applied entry came to. */
export interface Step {
  readonly index: number;
  readonly result: CoordinationResult | null;
  readonly effects: CoordinationEffect[];
}

/**
 * Drives a CoordinationState the way the runtime does: each command encoded,
 * applied as the next log index, its effects taken right after.
 */
export class Driver {
  readonly state: CoordinationState;
  index: number;

  constructor(limits?: CoordinationLimits, firstIndex = 1) {
    this.state = new CoordinationState(limits);
    this.index = firstIndex - 1;
  }

  run(command: CoordinationCommand): Step {
    return this.raw(encodeCommand(command));
  }

  /** Applies arbitrary bytes as the next command entry. */
  raw(data: Uint8Array): Step {
    const index = ++this.index;
    const result = this.state.apply({ type: 'command', index, data });
    return { index, result, effects: this.state.takeEffects() };
  }

  /** A no-op entry (a new leader's first). */
  noop(): Step {
    const index = ++this.index;
    return { index, result: this.state.apply({ type: 'noop', index }), effects: this.state.takeEffects() };
  }

  grantLease(ttlMs = 10_000, owner = 'n1'): number {
    const { result } = this.run({ type: 'grantLease', ttlMs, owner });
    if (result?.type !== 'leaseGranted') throw new Error(`grantLease: ${JSON.stringify(result)}`);
    return result.leaseId;
  }

  acquire(name: string, leaseId: number, wait = true, value?: string, space: LockSpace = 'lock'): Step {
    return this.run({
      type: 'acquire',
      space,
      name,
      leaseId,
      wait,
      ...(value === undefined ? {} : { value }),
    });
  }

  release(name: string, leaseId: number, fencingToken: number, space: LockSpace = 'lock'): Step {
    return this.run({ type: 'release', space, name, leaseId, fencingToken });
  }

  cancel(name: string, leaseId: number, waiterId: number, space: LockSpace = 'lock'): Step {
    return this.run({ type: 'cancel', space, name, leaseId, waiterId });
  }

  revoke(leaseId: number): Step {
    return this.run({ type: 'revokeLease', leaseId });
  }

  expire(leaseId: number): Step {
    return this.run({ type: 'expireLease', leaseId });
  }

  /** The fencing token of the lock's current holder. */
  token(name: string, space: LockSpace = 'lock'): number | undefined {
    return this.state.holder(space, name)?.fencingToken;
  }

  /** The leases of the lock's waiters, oldest first. */
  queue(name: string, space: LockSpace = 'lock'): number[] {
    return this.state.waiters(space, name).map((w) => w.leaseId);
  }
}
