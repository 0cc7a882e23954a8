import { createServer, type Server } from 'node:net';

/** Asks the system for a free loopback port (listen on 0, read the port, close). */
export async function freePort(): Promise<number> {
  const held = await holdFreePorts(1);
  await held.release();
  return held.ports[0]!;
}

/**
 * `count` distinct free loopback ports, each held by a listener until
 * `release()`. Probing one port at a time may hand the same port out twice
 * (the first was closed before the second was asked for); and whatever binds
 * port 0 before the members start (a proxy, say) must do so while these are
 * still held, or it may take one of them.
 */
export async function holdFreePorts(
  count: number,
): Promise<{ ports: number[]; release: () => Promise<void> }> {
  const servers: Server[] = [];
  const release = () =>
    Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())))).then(() => {});
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      servers.push(server);
    }
  } catch (error) {
    await release();
    throw error;
  }
  const ports = servers.map((s) => {
    const address = s.address();
    return typeof address === 'object' && address ? address.port : 0;
  });
  return { ports, release };
}

/** Member id → ws:// URL on distinct free loopback ports. */
export async function memberUrls(ids: readonly string[], scheme = 'ws'): Promise<Record<string, string>> {
  const { ports, release } = await holdFreePorts(ids.length);
  await release();
  return Object.fromEntries(ids.map((id, i) => [id, `${scheme}://127.0.0.1:${ports[i]}`]));
}
