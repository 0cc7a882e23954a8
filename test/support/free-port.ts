import { createServer } from 'node:net';

/** Asks the system for a free loopback port (listen on 0, read the port, close). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Member id → ws:// URL on free loopback ports. */
export async function memberUrls(ids: readonly string[]): Promise<Record<string, string>> {
  const members: Record<string, string> = {};
  for (const id of ids) members[id] = `ws://127.0.0.1:${await freePort()}`;
  return members;
}
