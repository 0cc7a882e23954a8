import { describe, expect, it } from 'vitest';
import type { Message } from '../../src/raft/types.js';
import { Rng } from '../../src/sim/rng.js';
import { type NetworkFaults, RELIABLE_NETWORK, SimNetwork } from '../../src/sim/sim-network.js';

const MEMBERS = ['n1', 'n2', 'n3', 'n4', 'n5'];

function heartbeat(from: string, to: string, round = 1): Message {
  return { type: 'heartbeat', from, to, term: 1, commit: 0, round };
}

/** Sends one message over every directed link and returns the links that delivered. */
function reachable(net: SimNetwork): string[] {
  const out: string[] = [];
  for (const from of MEMBERS) {
    for (const to of MEMBERS) {
      if (from === to) continue;
      const deliveries = net.send(heartbeat(from, to), 0);
      if (deliveries.length > 0 && deliveries.every((d) => net.admits(d.message))) out.push(`${from}>${to}`);
    }
  }
  return out;
}

const allLinks = MEMBERS.flatMap((f) => MEMBERS.filter((t) => t !== f).map((t) => `${f}>${t}`));

describe('SimNetwork', () => {
  it('delivers every message once within the delay bounds on a reliable network', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(1));
    for (let i = 0; i < 200; i++) {
      const out = net.send(heartbeat('n1', 'n2', i), 1000);
      expect(out).toHaveLength(1);
      const at = out[0]?.atUs ?? 0;
      expect(at).toBeGreaterThanOrEqual(1000 + RELIABLE_NETWORK.delayMinUs);
      expect(at).toBeLessThanOrEqual(1000 + RELIABLE_NETWORK.delayMaxUs);
    }
  });

  it('drops, duplicates and reorders at the configured rates', () => {
    const faults: NetworkFaults = {
      dropRate: 0.2,
      duplicateRate: 0.1,
      delayMinUs: 100,
      delayMaxUs: 200,
      slowRate: 0.1,
      slowDelayMaxUs: 5000,
    };
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(2), faults);
    const arrivals: { at: number; round: number }[] = [];
    for (let round = 0; round < 2000; round++) {
      for (const d of net.send(heartbeat('n1', 'n2', round), round * 100)) {
        arrivals.push({ at: d.atUs, round });
      }
    }
    expect(net.stats.dropped / net.stats.sent).toBeGreaterThan(0.15);
    expect(net.stats.dropped / net.stats.sent).toBeLessThan(0.3);
    expect(net.stats.duplicated).toBeGreaterThan(100);
    arrivals.sort((x, y) => x.at - y.at);
    const overtaken = arrivals.filter((a, i) => i > 0 && a.round < (arrivals[i - 1]?.round ?? 0));
    expect(overtaken.length).toBeGreaterThan(50);
  });

  it('keeps each link in send order when fifo is set, while jitter still varies the delays', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(12), { ...RELIABLE_NETWORK, fifo: true });
    const times = Array.from(
      { length: 300 },
      (_, i) => net.send(heartbeat('n1', 'n2', i), i * 10)[0]?.atUs ?? -1,
    );
    expect(times.every((t, i) => i === 0 || t >= (times[i - 1] ?? 0))).toBe(true);
    const other = net.send(heartbeat('n2', 'n1'), 0)[0]?.atUs ?? 0;
    expect(other).toBeLessThan(times[times.length - 1] ?? 0);
    const jittery = new SimNetwork(MEMBERS, Rng.fromSeed(12), { ...RELIABLE_NETWORK, fifo: false });
    const raw = Array.from(
      { length: 300 },
      (_, i) => jittery.send(heartbeat('n1', 'n2', i), i * 10)[0]?.atUs ?? -1,
    );
    expect(raw.some((t, i) => i > 0 && t < (raw[i - 1] ?? 0))).toBe(true);
  });

  it('replays the same deliveries from the same seed', () => {
    const run = (): number[] => {
      const net = new SimNetwork(MEMBERS, Rng.fromSeed(9), {
        ...RELIABLE_NETWORK,
        dropRate: 0.3,
        duplicateRate: 0.3,
      });
      return Array.from({ length: 100 }, (_, i) =>
        net.send(heartbeat('n1', 'n3', i), i).map((d) => d.atUs),
      ).flat();
    };
    expect(run()).toEqual(run());
  });

  it('splits symmetrically and heals', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(3));
    net.split(['n1', 'n2']);
    const up = reachable(net);
    expect(up.sort()).toEqual(
      ['n1>n2', 'n2>n1', 'n3>n4', 'n3>n5', 'n4>n3', 'n4>n5', 'n5>n3', 'n5>n4'].sort(),
    );
    expect(net.partition).toBe('split n1,n2 | n3,n4,n5');
    net.heal();
    expect(reachable(net)).toEqual(allLinks);
    expect(net.partition).toBe('none');
  });

  it('cuts one way only: n2 hears n1 no longer, n1 still hears n2', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(4));
    net.cutOneWay('n1', 'n2');
    const up = reachable(net);
    expect(up).not.toContain('n1>n2');
    expect(up).toContain('n2>n1');
    expect(up).toHaveLength(allLinks.length - 1);
  });

  it('isolates one member in both directions', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(5));
    net.isolate('n3');
    const up = reachable(net);
    expect(up.filter((l) => l.includes('n3'))).toEqual([]);
    expect(up).toHaveLength(12);
  });

  it('bridges two halves that do not hear each other', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(6));
    net.bridge('n3', ['n1', 'n2'], ['n4', 'n5']);
    const up = new Set(reachable(net));
    for (const m of ['n1', 'n2', 'n4', 'n5']) {
      expect(up.has(`n3>${m}`) && up.has(`${m}>n3`)).toBe(true);
    }
    for (const a of ['n1', 'n2']) {
      for (const b of ['n4', 'n5']) {
        expect(up.has(`${a}>${b}`) || up.has(`${b}>${a}`)).toBe(false);
      }
    }
    expect(up.has('n1>n2') && up.has('n4>n5')).toBe(true);
  });

  it('loses a message in flight when its link is cut before it arrives', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(7));
    const [d] = net.send(heartbeat('n1', 'n2'), 0);
    expect(d).toBeDefined();
    net.isolate('n2');
    expect(net.admits(heartbeat('n1', 'n2'))).toBe(false);
    net.heal();
    expect(net.admits(heartbeat('n1', 'n2'))).toBe(true);
  });

  it('lets an interceptor rewrite or drop messages', () => {
    const net = new SimNetwork(MEMBERS, Rng.fromSeed(8));
    net.setInterceptor((m) => (m.type === 'heartbeat' && m.round === 2 ? undefined : { ...m, term: 9 }));
    expect(net.send(heartbeat('n1', 'n2', 2), 0)).toEqual([]);
    expect(net.send(heartbeat('n1', 'n2', 3), 0)[0]?.message.term).toBe(9);
    net.setInterceptor(undefined);
    expect(net.send(heartbeat('n1', 'n2', 2), 0)[0]?.message.term).toBe(1);
  });

  it('rejects impossible fault settings', () => {
    expect(() => new SimNetwork(MEMBERS, Rng.fromSeed(1), { ...RELIABLE_NETWORK, dropRate: 2 })).toThrow(
      RangeError,
    );
    expect(() => new SimNetwork(MEMBERS, Rng.fromSeed(1), { ...RELIABLE_NETWORK, delayMinUs: 0 })).toThrow(
      RangeError,
    );
  });
});
