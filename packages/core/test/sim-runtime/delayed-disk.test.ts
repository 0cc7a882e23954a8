import { describe, expect, it } from 'vitest';
import type { Entry } from '../../src/raft/types.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { DelayedDisk } from '../../src/sim/runtime/delayed-disk.js';
import { US_PER_MS } from '../../src/sim/sim-clock.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';

function entry(index: number, term = 1): Entry {
  return { type: 'noop', term, index };
}

/** A DelayedDisk on a hand-driven clock; `crash()` drops every scheduled job, as RuntimeSim does. */
function rig() {
  const durable = new MemoryStorage();
  const queue = new EventQueue<() => void>();
  let nowUs = 0;
  let delayMs = 0;
  let alive = true;
  const disk = new DelayedDisk({
    durable,
    nowUs: () => nowUs,
    delayMs: () => delayMs,
    schedule: (atUs, job) => queue.push(atUs, () => alive && job()),
  });
  const runUntilMs = async (ms: number) => {
    for (let next = queue.peek(); next && next.atUs <= ms * US_PER_MS; next = queue.peek()) {
      queue.pop();
      nowUs = next.atUs;
      next.item();
      await new Promise((resolve) => setImmediate(resolve));
    }
    nowUs = ms * US_PER_MS;
  };
  const durableIndexes = async () => (await durable.load()).entries.map((e) => e.index);
  const durableHardState = async () => (await durable.load()).hardState;
  /** What a member restarted after a crash finds: a new disk over what was durable. */
  const restartedHardState = async () =>
    (
      await new DelayedDisk({
        durable,
        nowUs: () => nowUs,
        delayMs: () => 0,
        schedule: (atUs, job) => queue.push(atUs, job),
      }).load()
    ).hardState;
  return {
    disk,
    restartedHardState,
    runUntilMs,
    durableIndexes,
    durableHardState,
    setDelay: (ms: number) => (delayMs = ms),
    crash: () => (alive = false),
  };
}

describe('DelayedDisk: RuntimeSim disk writes with fsync crash semantics', () => {
  it('with no delay, a write is durable at once', async () => {
    const r = rig();
    await r.disk.persist({ entries: [entry(1)], sync: true });
    expect(await r.durableIndexes()).toEqual([1]);
    expect(r.disk.durableLog.holds(1, 1)).toBe(true);
  });

  it('a slow write is durable, and persist() resolves, only when its delay ends', async () => {
    const r = rig();
    r.setDelay(100);
    let done = false;
    void r.disk.persist({ entries: [entry(1)], sync: true }).then(() => (done = true));
    await r.runUntilMs(99);
    expect([done, await r.durableIndexes(), r.disk.writesInFlight().length]).toEqual([false, [], 1]);
    expect(r.disk.durableLog.holds(1, 1)).toBe(false);
    await r.runUntilMs(100);
    expect([done, await r.durableIndexes(), r.disk.writesInFlight().length]).toEqual([true, [1], 0]);
    expect(r.disk.durableLog.holds(1, 1)).toBe(true);
  });

  it('writes become durable in order even when the delay shrinks, or drops to 0, between them', async () => {
    const r = rig();
    const order: number[] = [];
    r.setDelay(100);
    void r.disk.persist({ entries: [entry(1)], sync: true }).then(() => order.push(1));
    r.setDelay(10);
    void r.disk.persist({ entries: [entry(2)], sync: true }).then(() => order.push(2));
    r.setDelay(0);
    void r.disk.persist({ entries: [entry(3)], sync: true }).then(() => order.push(3));
    await r.runUntilMs(50);
    expect(await r.durableIndexes()).toEqual([]);
    await r.runUntilMs(100);
    expect(order).toEqual([1, 2, 3]);
    expect(await r.durableIndexes()).toEqual([1, 2, 3]);
  });

  it('a crash loses the write in flight and every later one, and keeps what was durable', async () => {
    const r = rig();
    await r.disk.persist({ entries: [entry(1)], hardState: { term: 1, vote: 'n1', commit: 0 }, sync: true });
    r.setDelay(100);
    let settled = false;
    void r.disk
      .persist({ entries: [entry(2)], hardState: { term: 2, vote: 'n2', commit: 1 }, sync: true })
      .finally(() => (settled = true));
    void r.disk.persist({ entries: [entry(3)], sync: true }).finally(() => (settled = true));
    await r.runUntilMs(50);
    r.crash();
    await r.runUntilMs(500);
    expect(settled).toBe(false);
    const after = await r.disk.load();
    expect(after.entries.map((e) => e.index)).toEqual([1]);
    expect(after.hardState).toEqual({ term: 1, vote: 'n1', commit: 0 });
  });

  it('its durable log follows the storage rules: a write replaces from its first index on', async () => {
    const r = rig();
    await r.disk.persist({ entries: [entry(1), entry(2), entry(3)], sync: true });
    await r.disk.persist({ entries: [entry(2, 2)], sync: true });
    expect([1, 2, 3].map((i) => r.disk.durableLog.holds(i, 1))).toEqual([true, false, false]);
    expect(r.disk.durableLog.holds(2, 2)).toBe(true);
  });

  it('a hard state that only moves the commit index waits for the next batch, and a crash before it loses it', async () => {
    const r = rig();
    const stored = r.durableHardState;
    const hs = (commit: number) => ({ term: 1, vote: 'n1', commit });
    await r.disk.persist({ entries: [entry(1), entry(2)], hardState: hs(0), sync: true });
    await r.disk.persist({ entries: [], hardState: hs(2), sync: false });
    expect(await stored()).toEqual(hs(0)); // deferred, as FileStorage defers it
    await r.disk.persist({ entries: [entry(3)], sync: true });
    expect(await stored()).toEqual(hs(2)); // rode along with the next batch
    await r.disk.persist({ entries: [], hardState: hs(3), sync: false });
    r.crash();
    expect(await r.restartedHardState()).toEqual(hs(2)); // lost with the crash: the member restarts behind
  });

  it('a commit index that passes a configuration entry is written at once', async () => {
    const r = rig();
    const config: Entry = { type: 'config', term: 1, index: 2, change: { op: 'addLearner', id: 'n4' } };
    await r.disk.persist({
      entries: [entry(1), config],
      hardState: { term: 1, vote: 'n1', commit: 1 },
      sync: true,
    });
    await r.disk.persist({ entries: [], hardState: { term: 1, vote: 'n1', commit: 2 }, sync: false });
    expect((await r.durableHardState())?.commit).toBe(2);
  });
});
