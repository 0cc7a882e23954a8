import { randomBytes } from 'node:crypto';
import { type FileHandle, link, open, readdir, unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Liveness, LockOps } from './lock-protocol.js';

/** Temporary socket names: bound and listening before they are linked to a generation's name. */
export const LOCK_TEMP_PATTERN = /^LOCK\.[0-9a-f]{16}\.tmp\.sock$/;

/**
 * Longest socket address used as it is. The kernel's limit is 108 bytes on
 * Linux and 104 on macOS, and libuv (Node 20) silently truncates a longer
 * one, which would bind a socket somewhere else.
 */
const SOCKET_ADDRESS_BYTES_MAX = 100;

/**
 * LockOps on Unix domain sockets in one directory (see lock-protocol.ts).
 * The kernel judges liveness: a connect to a socket whose owner process
 * died — kill -9, a crash, a container stopped — is refused, and one to a
 * live owner succeeds even while its event loop is stalled or it is stopped
 * with SIGSTOP (the kernel queues the connection). Sockets bound in a
 * directory are found through the file system, so this holds across pid and
 * network namespaces that share the volume on one machine.
 */
export class SocketLockOps implements LockOps {
  /** Servers this process listens on, by the generation name they were linked to. */
  private readonly servers = new Map<string, Server>();

  private constructor(
    private readonly dir: string,
    /** Open while the lock is in use: long paths reach sockets through /proc/self/fd/<fd>/. */
    private readonly dirHandle: FileHandle | undefined,
    /** Called when a server of ours closes without withdraw(): the lock is no longer held. */
    private readonly onClosed: (name: string) => void,
  ) {}

  /** Ops on `dir` (a real path). Throws ENAMETOOLONG when its sockets cannot be addressed on this platform. */
  static async create(dir: string, onClosed: (name: string) => void): Promise<SocketLockOps> {
    const longest = join(dir, 'LOCK.0123456789abcdef.tmp.sock');
    if (Buffer.byteLength(longest) <= SOCKET_ADDRESS_BYTES_MAX)
      return new SocketLockOps(dir, undefined, onClosed);
    if (process.platform !== 'linux') {
      throw Object.assign(new Error(`the path ${longest} is too long for a Unix domain socket`), {
        code: 'ENAMETOOLONG',
      });
    }
    return new SocketLockOps(dir, await open(dir, 'r'), onClosed);
  }

  list(): Promise<readonly string[]> {
    return readdir(this.dir);
  }

  probe(name: string): Promise<Liveness> {
    return new Promise((resolve, reject) => {
      const socket = connect(this.address(name));
      socket.once('connect', () => {
        socket.destroy();
        resolve('live');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        socket.destroy();
        // Refused: no socket is listening there (a regular file under that name answers the same).
        if (error.code === 'ECONNREFUSED') resolve('dead');
        else if (error.code === 'ENOENT') resolve('gone');
        // The owner's backlog is full: it listens, its event loop is busy.
        else if (error.code === 'EAGAIN') resolve('live');
        else reject(error);
      });
    });
  }

  async publish(name: string): Promise<boolean> {
    const temp = `LOCK.${randomBytes(8).toString('hex')}.tmp.sock`;
    // Probes are answered by the kernel; the connection itself carries nothing.
    const server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.address(temp), () => {
        server.off('error', reject);
        resolve();
      });
    });
    // A lock must not keep the process alive on its own.
    server.unref();
    try {
      // Listening before it has the name: a socket seen under a generation's name is never judged dead
      // in the instant between bind and listen.
      await link(join(this.dir, temp), join(this.dir, name));
    } catch (error) {
      await closeServer(server);
      await unlink(join(this.dir, temp)).catch(() => {});
      const code = (error as NodeJS.ErrnoException).code;
      // EEXIST: another process has this generation. ENOENT: a holder cleared our temp name as dead.
      if (code === 'EEXIST' || code === 'ENOENT') return false;
      throw error;
    }
    await unlink(join(this.dir, temp)).catch(() => {});
    this.servers.set(name, server);
    server.once('close', () => {
      if (this.servers.get(name) === server) {
        this.servers.delete(name);
        this.onClosed(name);
      }
    });
    return true;
  }

  async withdraw(name: string): Promise<void> {
    const server = this.servers.get(name);
    this.servers.delete(name);
    // The name goes first: while it exists, its socket still listens, so nobody judges it dead.
    await unlink(join(this.dir, name)).catch(ignoreMissing);
    if (server !== undefined) await closeServer(server);
  }

  /** Best effort: a dead name that stays is harmless, and the next holder tries again. */
  async remove(name: string): Promise<void> {
    await unlink(join(this.dir, name)).catch(() => {});
  }

  /** Closes the directory handle; call after the last withdraw. */
  async close(): Promise<void> {
    await this.dirHandle?.close();
  }

  private address(name: string): string {
    return this.dirHandle === undefined ? join(this.dir, name) : `/proc/self/fd/${this.dirHandle.fd}/${name}`;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
