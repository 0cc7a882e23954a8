import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * What a proxy does to the connections through it:
 * - `pass`: forwards bytes both ways (after `delayMs`, at most `bytesPerSec`);
 * - `hold`: stops reading both sockets, so bytes stay in kernel buffers and
 *   arrive late if the fault ends before a keep-alive ping gives up on the
 *   link (a partition TCP survives);
 * - `reset`: destroys every connection and every new one at once (a
 *   partition the peers see as connection resets).
 */
export type ProxyMode = 'pass' | 'hold' | 'reset';

export interface ProxyState {
  readonly mode: ProxyMode;
  /** Added to every chunk in each direction (so a round trip gains twice this). */
  readonly delayMs: number;
  /** Each direction's bandwidth; 0 means unlimited. */
  readonly bytesPerSec: number;
}

export const HEALTHY: ProxyState = { mode: 'pass', delayMs: 0, bytesPerSec: 0 };

/** Bytes queued in one direction of a delayed or throttled connection before its source is paused. */
const QUEUED_BYTES_HIGH = 4 * 1024 * 1024;

/** One direction of one proxied connection: a FIFO of chunks, each released at its due time. */
class Pipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** When the last queued chunk leaves; throttling spaces chunks from it. */
  private lastDue = 0;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly state: () => ProxyState,
    private readonly onBytes: (n: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    const { delayMs, bytesPerSec } = this.state();
    if (delayMs === 0 && bytesPerSec === 0 && this.queue.length === 0) {
      this.forward(chunk);
      return;
    }
    const now = performance.now();
    const sendMs = bytesPerSec > 0 ? (chunk.length * 1000) / bytesPerSec : 0;
    // FIFO: a chunk never overtakes an earlier one, even when the delay shrinks.
    const due = Math.max(now + delayMs, this.lastDue) + sendMs;
    this.lastDue = due;
    this.queue.push({ due, chunk });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > QUEUED_BYTES_HIGH) this.from.pause();
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.queue.length === 0) return;
    const wait = Math.max(0, this.queue[0]!.due - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, wait);
  }

  private drain(): void {
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now + 1) {
      const { chunk } = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      this.forward(chunk);
    }
    if (this.queuedBytes <= QUEUED_BYTES_HIGH && this.state().mode === 'pass') this.from.resume();
    this.schedule();
  }

  private forward(chunk: Buffer): void {
    if (this.to.destroyed) return;
    this.onBytes(chunk.length);
    this.to.write(chunk);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

interface Connection {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly pipes: Pipe[];
}

/**
 * A TCP proxy in front of one member's peer port, carrying one directed
 * link (the connections one member dials to another). The harness changes
 * its state at run time; `connections` and `bytes` count what went through.
 */
export class FaultProxy {
  private state: ProxyState = HEALTHY;
  private readonly live = new Set<Connection>();
  private readonly server: Server;
  connections = 0;
  bytes = 0;

  private constructor(
    private readonly targetPort: number,
    readonly port: number,
    server: Server,
  ) {
    this.server = server;
  }

  /** Listens on a free loopback port, forwarding to `targetPort`. */
  static async start(targetPort: number): Promise<FaultProxy> {
    const server = createServer({ noDelay: true });
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
    const proxy = new FaultProxy(targetPort, port, server);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get current(): ProxyState {
    return this.state;
  }

  /** Changes what the proxy does; takes effect at once for every connection. */
  set(state: ProxyState): void {
    const wasHeld = this.state.mode === 'hold';
    this.state = state;
    if (state.mode === 'reset') {
      for (const connection of this.live) this.drop(connection);
    } else if (state.mode === 'hold') {
      for (const { client, upstream } of this.live) {
        client.pause();
        upstream.pause();
      }
    } else if (wasHeld) {
      for (const { client, upstream } of this.live) {
        client.resume();
        upstream.resume();
      }
    }
  }

  /**
   * Resets the connections open now and leaves the state as it is, so the
   * next connection passes: a link drop its dialler will redial. Returns how
   * many connections were reset.
   */
  resetConnections(): number {
    const count = this.live.size;
    for (const connection of this.live) this.drop(connection);
    return count;
  }

  async close(): Promise<void> {
    for (const connection of this.live) this.drop(connection);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.state.mode === 'reset') {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const upstream = connect({ host: '127.0.0.1', port: this.targetPort, noDelay: true });
    const connection: Connection = { client, upstream, pipes: [] };
    const count = (n: number): void => {
      this.bytes += n;
    };
    connection.pipes.push(new Pipe(client, upstream, () => this.state, count));
    connection.pipes.push(new Pipe(upstream, client, () => this.state, count));
    this.live.add(connection);
    if (this.state.mode === 'hold') {
      client.pause();
      upstream.pause();
    }
    // Either side going away takes the other with it, as a real connection would.
    const end = (): void => this.drop(connection);
    for (const socket of [client, upstream]) {
      socket.on('error', end);
      socket.on('close', end);
    }
  }

  private drop(connection: Connection): void {
    if (!this.live.delete(connection)) return;
    for (const pipe of connection.pipes) pipe.dispose();
    connection.client.resetAndDestroy();
    connection.upstream.resetAndDestroy();
  }
}
