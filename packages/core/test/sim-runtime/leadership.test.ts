import { describe, expect, it } from 'vitest';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';
import { plainCommand } from '../support/commands.js';

const three = ['n1', 'n2', 'n3'];

async function startAll(sim: RuntimeSim, ids: readonly string[]): Promise<void> {
  for (const id of ids) await sim.start(id);
}

function holder(sim: RuntimeSim): string | undefined {
  const h = sim.validHolders();
  return h.length === 1 ? h[0] : undefined;
}

describe('the production runtime on virtual time: leadership tokens', () => {
  it('elects one leader whose token is valid and whose term matches', async () => {
    const sim = new RuntimeSim({ seed: 1, members: three });
    await startAll(sim, three);
    expect(await sim.runUntilTrue(() => holder(sim) !== undefined, 3000)).toBe(true);
    const h = holder(sim)!;
    const last = sim.tokens[sim.tokens.length - 1]!;
    expect(last.member).toBe(h);
    expect(last.token.term).toBe(sim.loop(h)!.status().term);
    expect(sim.loop(h)!.status().role).toBe('leader');
    // It stays valid while nothing fails: the lease is renewed every heartbeat.
    await sim.runUntil(sim.nowMs + 5000);
    expect(holder(sim)).toBe(h);
    expect(last.token.signal.aborted).toBe(false);
  });

  it('after the leader is killed, another member gets a token of a higher term within about one election timeout', async () => {
    const sim = new RuntimeSim({ seed: 2, members: three });
    await startAll(sim, three);
    await sim.runUntilTrue(() => holder(sim) !== undefined, 3000);
    const first = sim.tokens[sim.tokens.length - 1]!;
    sim.crash(first.member);
    const killedAt = sim.nowMs;
    expect(
      await sim.runUntilTrue(() => holder(sim) !== undefined && holder(sim) !== first.member, 3000),
    ).toBe(true);
    const second = sim.tokens[sim.tokens.length - 1]!;
    expect(second.token.term).toBeGreaterThan(first.token.term);
    // Maximum election timeout (600 ms) plus the election and the no-op round trips.
    expect(sim.nowMs - killedAt).toBeLessThan(700);
  });

  it('a leader stalled past the election timeout: its token is invalid the moment it resumes, and tokens never overlap', async () => {
    const sim = new RuntimeSim({ seed: 3, members: three });
    await startAll(sim, three);
    await sim.runUntilTrue(() => holder(sim) !== undefined, 3000);
    const first = sim.tokens[sim.tokens.length - 1]!;
    const resumeAt = sim.nowMs + 2000;
    sim.pause(first.member, 2000);
    // The others elect a new leader while the old one is frozen (the checker runs after every event).
    expect(
      await sim.runUntilTrue(() => holder(sim) !== undefined && holder(sim) !== first.member, 1500),
    ).toBe(true);
    expect(first.token.valid).toBe(false); // frozen, but its lease ran out by its own clock
    expect(first.token.signal.aborted).toBe(false); // nothing could run to abort it yet
    await sim.runUntil(resumeAt + 500);
    expect(first.token.signal.aborted).toBe(true);
    expect((first.token.signal.reason as { code: string }).code).toBe('BATON_LEADERSHIP_LOST');
  });

  it('a GC-sized pause of the leader (100 ms) costs neither the leadership nor the token', async () => {
    const sim = new RuntimeSim({ seed: 4, members: three });
    await startAll(sim, three);
    await sim.runUntilTrue(() => holder(sim) !== undefined, 3000);
    const first = sim.tokens[sim.tokens.length - 1]!;
    for (let i = 0; i < 10; i++) {
      sim.pause(first.member, 100);
      await sim.runUntil(sim.nowMs + 400);
    }
    expect(first.token.signal.aborted).toBe(false);
    expect(holder(sim)).toBe(first.member);
  });

  it('a leader cut off from the others loses its token before anyone else gets one', async () => {
    const sim = new RuntimeSim({ seed: 5, members: three });
    await startAll(sim, three);
    await sim.runUntilTrue(() => holder(sim) !== undefined, 3000);
    const first = sim.tokens[sim.tokens.length - 1]!;
    const others = three.filter((id) => id !== first.member);
    sim.partition([first.member], others);
    let abortedAt: number | undefined;
    first.token.signal.addEventListener('abort', () => {
      abortedAt = sim.nowMs;
    });
    expect(
      await sim.runUntilTrue(() => holder(sim) !== undefined && holder(sim) !== first.member, 3000),
    ).toBe(true);
    const second = sim.tokens[sim.tokens.length - 1]!;
    expect(abortedAt).toBeDefined();
    expect(abortedAt!).toBeLessThanOrEqual(second.issuedUs / 1000);
    expect((first.token.signal.reason as { cause: string }).cause).toMatch(/lease-expired|quorum-lost/);
  });

  it('random stalls, partitions, crashes and restarts with drifting clocks never yield two valid tokens', async () => {
    for (let seed = 100; seed < 112; seed++) {
      const sim = new RuntimeSim({ seed, members: ['n1', 'n2', 'n3', 'n4', 'n5'], dropRate: 0.02 });
      const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
      await startAll(sim, ids);
      let rnd = seed;
      const next = (n: number) => {
        rnd = (rnd * 1103515245 + 12345) % 2147483648;
        return rnd % n;
      };
      const down = new Set<string>();
      for (let step = 0; step < 40; step++) {
        const id = ids[next(ids.length)]!;
        switch (next(5)) {
          case 0:
            sim.pause(id, 50 + next(900));
            break;
          case 1:
            sim.partition(
              [id],
              ids.filter((x) => x !== id),
            );
            break;
          case 2:
            sim.heal();
            break;
          case 3:
            if (!down.has(id) && down.size < 2) {
              sim.crash(id);
              down.add(id);
            }
            break;
          case 4:
            if (down.has(id)) {
              await sim.start(id);
              down.delete(id);
            }
            break;
        }
        await sim.runUntil(sim.nowMs + 50 + next(400)); // throws, naming the seed, on two valid tokens
      }
      sim.heal();
      for (const id of down) await sim.start(id);
      expect(await sim.runUntilTrue(() => holder(sim) !== undefined, 3000), `seed=${seed}`).toBe(true);
    }
  });
});

describe('the production runtime on virtual time: a slow disk', () => {
  it('a leader whose fsyncs stall for 500 ms keeps heartbeating and keeps the leadership', async () => {
    const sim = new RuntimeSim({ seed: 7, members: three });
    await startAll(sim, three);
    await sim.runUntilTrue(() => holder(sim) !== undefined, 3000);
    const first = sim.tokens[sim.tokens.length - 1]!;
    const term = sim.loop(first.member)!.status().term;
    sim.slowDisk(first.member, 500);
    // Proposals keep the disk busy; heartbeats must not wait for it.
    for (let i = 0; i < 20; i++) {
      sim.loop(first.member)!.append(plainCommand(new Uint8Array([i])));
      await sim.runUntil(sim.nowMs + 250);
    }
    for (const id of three) expect(sim.loop(id)!.status().term).toBe(term);
    expect(sim.loop(first.member)!.status().role).toBe('leader');
    expect(first.token.signal.aborted).toBe(false);
  });
});
