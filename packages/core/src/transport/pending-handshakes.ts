import { isIPv6 } from 'node:net';

/** A client address as one host: IPv4-mapped IPv6 (::ffff:a.b.c.d) is written as the IPv4 address. */
export function hostOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/**
 * The group a client address counts in: an IPv4 address on its own, an IPv6
 * address by its /64 — the block one host or site usually gets, so one
 * machine cannot pose as many clients by cycling through its own addresses.
 */
export function addressGroup(address: string): string {
  const host = hostOf(address);
  if (!isIPv6(host)) return host;
  const [head = '', tail = ''] = host.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = host.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = host.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}

/** One inbound connection still in its handshake. */
export interface PendingHandshake<S> {
  readonly socket: S;
  /** The client's address group (see addressGroup). */
  readonly group: string;
  /** The client's address (see hostOf). */
  readonly host: string;
  /** The address and port, for logs. */
  readonly remote: string;
  /** When it arrived, on the transport's clock (ms). */
  readonly since: number;
}

/**
 * The inbound connections still in their handshake, at most `max` of them.
 *
 * Their count is capped because each may make the member buffer one frame of
 * up to maxFrameBytes before it has proved anything. When the set is full a
 * newcomer is let in and one pending connection is dropped: the oldest from
 * the address that holds the most slots, within the address group (IPv4
 * address, IPv6 /64) that holds the most. Refusing newcomers would let a few
 * silent clients keep every real peer out; dropping simply the oldest would
 * still let clients that reconnect faster than a peer's handshake round trip
 * evict that peer every time. Counted by address, such clients evict each
 * other; counted by group first, cycling through the addresses of one /64
 * does not help them, and a peer in the same /64 (one cloud subnet) is still
 * told apart by its own address. A peer on the very address the clients use
 * (e.g. everything on one loopback host) is not protected by this, nor one
 * facing clients spread over as many groups as there are slots.
 */
export class PendingHandshakes<S> {
  /** Insertion order is arrival order. */
  private readonly bySocket = new Map<S, PendingHandshake<S>>();

  constructor(private readonly max: number) {}

  get size(): number {
    return this.bySocket.size;
  }

  /** Adds a newcomer; returns the pending connection to drop to make room for it, if the set was full. */
  add(entry: PendingHandshake<S>): PendingHandshake<S> | undefined {
    const evicted = this.bySocket.size >= this.max ? this.victimFor(entry) : undefined;
    if (evicted !== undefined) this.bySocket.delete(evicted.socket);
    this.bySocket.set(entry.socket, entry);
    return evicted;
  }

  /** The connection finished its handshake, failed it, or closed. Unknown sockets are ignored. */
  delete(socket: S): void {
    this.bySocket.delete(socket);
  }

  /** The oldest entry of the heaviest address in the heaviest group, the newcomer counted too. */
  private victimFor(newcomer: PendingHandshake<S>): PendingHandshake<S> | undefined {
    const all = [...this.bySocket.values()];
    const group = heaviest(all, (e) => e.group, newcomer.group);
    const inGroup = all.filter((e) => e.group === group);
    const host = heaviest(inGroup, (e) => e.host, newcomer.group === group ? newcomer.host : undefined);
    return inGroup.find((e) => e.host === host);
  }
}

/**
 * The key of `entries` (in arrival order) with the most entries, `extraKey`
 * counting one more (the newcomer); on a tie, the key of the oldest entry.
 */
function heaviest<T>(
  entries: readonly T[],
  key: (e: T) => string,
  extraKey: string | undefined,
): string | undefined {
  const counts = new Map<string, number>();
  for (const e of entries) counts.set(key(e), (counts.get(key(e)) ?? 0) + 1);
  let best: string | undefined;
  let bestCount = 0;
  for (const [k, count] of counts) {
    const n = count + (k === extraKey ? 1 : 0);
    if (n > bestCount) {
      best = k;
      bestCount = n;
    }
  }
  return best;
}
