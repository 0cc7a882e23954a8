import { isIPv6 } from 'node:net';

/**
 * The group a client address counts in: an IPv4 address (also when written
 * IPv4-mapped, ::ffff:a.b.c.d) on its own, an IPv6 address by its /64 — the
 * block one host or site usually gets, so one machine cannot pose as many
 * clients by cycling through its own addresses.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = address.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = address.includes('::')
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
  /** The client's address group (see addressGroup): connections are grouped by it. */
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
 * the address that holds the most slots. Refusing newcomers would let a few
 * silent clients keep every real peer out; dropping simply the oldest would
 * still let clients that reconnect faster than a peer's handshake round trip
 * evict that peer every time. Grouping by address confines such clients to
 * evicting each other unless they come from as many address groups (IPv4
 * addresses, IPv6 /64s) as there are slots (a peer in the same group, e.g.
 * everything on one loopback host, is not protected by this).
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
    const evicted = this.bySocket.size >= this.max ? this.victimFor(entry.host) : undefined;
    if (evicted !== undefined) this.bySocket.delete(evicted.socket);
    this.bySocket.set(entry.socket, entry);
    return evicted;
  }

  /** The connection finished its handshake, failed it, or closed. Unknown sockets are ignored. */
  delete(socket: S): void {
    this.bySocket.delete(socket);
  }

  /** The oldest entry of the address with the most entries, the newcomer's own address counted too. */
  private victimFor(newcomerHost: string): PendingHandshake<S> | undefined {
    const counts = new Map<string, number>([[newcomerHost, 1]]);
    const oldest = new Map<string, PendingHandshake<S>>();
    for (const entry of this.bySocket.values()) {
      counts.set(entry.host, (counts.get(entry.host) ?? 0) + 1);
      if (!oldest.has(entry.host)) oldest.set(entry.host, entry);
    }
    let victim: PendingHandshake<S> | undefined;
    let victimCount = 0;
    // Map iteration follows first arrival, so on a tie the address holding the oldest entry loses.
    for (const [host, first] of oldest) {
      const count = counts.get(host) ?? 0;
      if (count > victimCount) {
        victim = first;
        victimCount = count;
      }
    }
    return victim;
  }
}
