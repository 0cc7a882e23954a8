import { createServer } from 'node:net';

/** Ports handed out so far: the system may offer a port again once its probe has closed. */
const portsHandedOut = new Set<number>();

/** A free loopback port, distinct from every other this process handed out. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort();
    if (portsHandedOut.has(port)) continue;
    portsHandedOut.add(port);
    return port;
  }
}

/** Asks the system for a free loopback port (listen on 0, read the port, close). */
function probePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
