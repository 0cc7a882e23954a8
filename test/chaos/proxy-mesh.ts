import { FaultProxy, HEALTHY, type ProxyState } from './fault-proxy.js';

/** The directed link `from` → `to`: the connections `from` dials to `to` (it sends on them). */
export interface LinkId {
  readonly from: string;
  readonly to: string;
}

/**
 * A fault proxy on every directed link of a cluster. Each member sends only
 * on the links it dials (the transport's two one-way sockets per pair), so
 * a fault on the proxy `a → b` silences a towards b while b still reaches a:
 * a one-way cut at the message level.
 */
export class ProxyMesh {
  private constructor(private readonly proxies: Map<string, FaultProxy>) {}

  /** Starts a proxy for every ordered pair of `ports` (member id → its real peer port). */
  static async start(ports: Readonly<Record<string, number>>): Promise<ProxyMesh> {
    const proxies = new Map<string, FaultProxy>();
    const mesh = new ProxyMesh(proxies);
    try {
      for (const from of Object.keys(ports)) {
        for (const [to, port] of Object.entries(ports)) {
          if (from !== to) proxies.set(key({ from, to }), await FaultProxy.start(port));
        }
      }
    } catch (error) {
      await mesh.close();
      throw error;
    }
    return mesh;
  }

  /** The `members` option of member `self`: its own real address, and its proxy to every peer. */
  membersFor(self: string, ports: Readonly<Record<string, number>>): Record<string, string> {
    const members: Record<string, string> = {};
    for (const [id, port] of Object.entries(ports)) {
      members[id] = `ws://127.0.0.1:${id === self ? port : this.proxy({ from: self, to: id }).port}`;
    }
    return members;
  }

  set(link: LinkId, state: ProxyState): void {
    this.proxy(link).set(state);
  }

  /** Every directed link of the mesh. */
  links(): LinkId[] {
    return [...this.proxies.keys()].map((k) => {
      const [from, to] = k.split('>') as [string, string];
      return { from, to };
    });
  }

  /** Resets the connections on `link` now without changing its state (see FaultProxy.resetConnections). */
  resetConnections(link: LinkId): number {
    return this.proxy(link).resetConnections();
  }

  /** Every link back to healthy. */
  healAll(): void {
    for (const proxy of this.proxies.values()) proxy.set(HEALTHY);
  }

  /** Connections accepted and bytes carried over all links. */
  totals(): { connections: number; bytes: number } {
    let connections = 0;
    let bytes = 0;
    for (const proxy of this.proxies.values()) {
      connections += proxy.connections;
      bytes += proxy.bytes;
    }
    return { connections, bytes };
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
  }

  private proxy(link: LinkId): FaultProxy {
    const proxy = this.proxies.get(key(link));
    if (proxy === undefined) throw new Error(`no proxy for ${link.from} → ${link.to}`);
    return proxy;
  }
}

function key(link: LinkId): string {
  return `${link.from}>${link.to}`;
}
