import { describe, expect, it } from 'vitest';
import type { MemberId } from '../../src/raft/types.js';
import { RuntimeSim } from '../../src/sim/runtime/runtime-sim.js';
import { plainCommand } from '../support/commands.js';

const three = ['n1', 'n2', 'n3'];

describe('the runtime simulator fails a run in which a member stops itself on a fatal error', () => {
  it('a follower restarted on a disk that lost an entry it acknowledged stops with BATON_STORAGE_CORRUPT, and the run fails', async () => {
    for (let seed = 41; seed < 44; seed++) {
      const sim = new RuntimeSim({ seed, members: three });
      for (const id of three) await sim.start(id);
      expect(await sim.runUntilTrue(() => sim.validHolders().length === 1, 3000), `seed=${seed}`).toBe(true);
      const leaderId = sim.validHolders()[0]!;
      const victim = three.find((id) => id !== leaderId) as MemberId;
      const leader = sim.loop(leaderId)!;
      const at = leader.append(plainCommand(new Uint8Array([7])));
      let applied = false;
      void leader.awaitApplied(at.index, at.term).promise.then(() => (applied = true));
      const everywhere = () => applied && three.every((id) => sim.appliedIndex(id) >= at.index);
      expect(await sim.runUntilTrue(everywhere, 3000), `seed=${seed}`).toBe(true);

      sim.crash(victim);
      await sim.loseDurableTail(victim, 1);
      await sim.start(victim);
      // The leader's next heartbeat carries a commit index past the victim's log.
      await expect(sim.runUntil(sim.nowMs + 3000), `seed=${seed}`).rejects.toMatchObject({
        code: 'SIM_RUNTIME_INVARIANT',
        cause: { code: 'BATON_STORAGE_CORRUPT' },
      });
      expect(sim.loop(victim)?.isStopped, `seed=${seed}`).toBe(true);
    }
  });
});
