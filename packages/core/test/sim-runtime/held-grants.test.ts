import { describe, expect, it } from 'vitest';
import { Lease } from '../../src/runtime/lease.js';
import { HeldGrants, SimGrant } from '../../src/sim/runtime/held-grants.js';

/** A lease valid until `deadline` on a clock the test moves. */
function leaseUntil(clock: { now: number }, id: number, deadline: number): Lease {
  return new Lease(id, 1000, deadline, { now: () => clock.now }, async () => {});
}

describe('HeldGrants', () => {
  it('throws when two grants of one lock are valid at once, each by its own clock', () => {
    const clock = { now: 0 };
    const held = new HeldGrants(() => clock.now);
    const alive = () => true;
    held.acknowledge(new SimGrant('lock', 'a', 'n1', 1, 5, leaseUntil(clock, 1, 100), alive));
    held.check();
    held.acknowledge(new SimGrant('lock', 'b', 'n2', 1, 6, leaseUntil(clock, 2, 300), alive));
    held.check(); // another lock
    held.acknowledge(new SimGrant('election', 'a', 'n2', 1, 7, leaseUntil(clock, 2, 300), alive));
    held.check(); // an election named like the lock is another entry
    held.acknowledge(new SimGrant('lock', 'a', 'n3', 1, 8, leaseUntil(clock, 3, 300), alive));
    expect(() => held.check()).toThrow(/two valid holders of lock:a at 0\.000 ms/);
    clock.now = 100; // the first holder's deadline passed: it no longer counts
    held.check();
  });

  it('a holder that gave the grant up, or whose process died, does not count', () => {
    const clock = { now: 0 };
    const held = new HeldGrants(() => clock.now);
    const first = new SimGrant('lock', 'a', 'n1', 1, 5, leaseUntil(clock, 1, 100), () => true);
    held.acknowledge(first);
    first.gaveUpAtUs = 0;
    let up = true;
    held.acknowledge(new SimGrant('lock', 'a', 'n2', 1, 6, leaseUntil(clock, 2, 100), () => up));
    held.check();
    up = false;
    held.acknowledge(new SimGrant('lock', 'a', 'n3', 1, 7, leaseUntil(clock, 3, 100), () => true));
    held.check();
  });

  it('a grant acknowledged valid with a token no larger than an earlier one is a violation', () => {
    const clock = { now: 0 };
    const held = new HeldGrants(() => clock.now);
    held.acknowledge(new SimGrant('lock', 'a', 'n1', 1, 9, leaseUntil(clock, 1, 10), () => true));
    clock.now = 20;
    // Learned late, with its lease already over: harmless.
    held.acknowledge(new SimGrant('lock', 'a', 'n2', 1, 7, leaseUntil(clock, 2, 15), () => true));
    held.check();
    held.acknowledge(new SimGrant('lock', 'a', 'n3', 1, 8, leaseUntil(clock, 3, 100), () => true));
    expect(() => held.check()).toThrow(/token 8 on n3 .* acknowledged valid at 20\.000 ms after token 9/);
  });
  it('an earlier grant still valid when a later grant of its lock is first applied is a violation, before the later one reaches its client', () => {
    const clock = { now: 0 };
    const held = new HeldGrants(() => clock.now);
    const released = new SimGrant('lock', 'a', 'n1', 1, 5, leaseUntil(clock, 1, 100), () => true);
    held.acknowledge(released);
    released.gaveUpAtUs = 0;
    held.grantedInLog('lock', 'a', 6); // given up before: fine
    held.acknowledge(new SimGrant('lock', 'a', 'n2', 1, 6, leaseUntil(clock, 2, 50), () => true));
    held.grantedInLog('lock', 'b', 7); // another lock
    held.grantedInLog('election', 'a', 8); // an election named like the lock is another entry
    held.check();
    clock.now = 40;
    held.grantedInLog('lock', 'a', 9); // token 6's deadline (50) has not passed
    expect(() => held.check()).toThrow(
      /token 6 on n2 .* still valid at 40\.000 ms, when token 9 was granted/,
    );
  });
});
