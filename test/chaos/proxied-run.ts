import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onAbruptEnd } from '../support/abrupt-end.js';
import { holdFreePorts } from '../support/free-port.js';
import { ProxyMesh } from './proxy-mesh.js';

/** Where a chaos or soak run's members live: their temporary directory, their ports and the proxies between them. */
export interface ProxiedRun {
  readonly dir: string;
  readonly ports: Record<string, number>;
  readonly mesh: ProxyMesh;
  /** Removes `dir` (call once the members are stopped). */
  removeDir(): Promise<void>;
}

/**
 * A temporary directory named `prefix…`, removed also if this process ends
 * by a signal, and a port for each of `ids`, all distinct, held while the
 * proxies bind theirs (port 0) so that no proxy takes one.
 */
export async function startProxiedRun(ids: readonly string[], prefix: string): Promise<ProxiedRun> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  // Registered before any member starts, so an abrupt end removes it after they are killed.
  // Retried: a member just SIGKILLed may still be writing in it for a moment.
  const forgetDir = onAbruptEnd(() =>
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }),
  );
  const held = await holdFreePorts(ids.length);
  const ports: Record<string, number> = Object.fromEntries(ids.map((id, i) => [id, held.ports[i]!]));
  const mesh = await ProxyMesh.start(ports).finally(held.release);
  return {
    dir,
    ports,
    mesh,
    removeDir: async () => {
      await rm(dir, { recursive: true, force: true });
      forgetDir();
    },
  };
}
