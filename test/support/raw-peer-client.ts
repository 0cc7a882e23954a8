import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { HANDSHAKE_NONCE_BYTES, Handshake } from '../../packages/core/src/transport/handshake.js';

/** The part of a `ws` client socket these tests use. */
interface RawSocket {
  on(event: 'open', listener: () => void): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void;
  on(event: 'close', listener: (code: number) => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
  send(data: string | Uint8Array, callback?: (error?: Error) => void): void;
  terminate(): void;
}

// The workspace root does not depend on `ws`; @baton/core does, so resolve it from there.
const requireFromCore = createRequire(new URL('../../packages/core/package.json', import.meta.url));
const WebSocket = requireFromCore('ws') as new (
  url: string,
  options: { maxPayload: number; localAddress?: string },
) => RawSocket;

/** Text frames kept before a test reads them; a member sends two at most during a handshake. */
const TEXT_FRAMES_MAX = 16;
/** What this client accepts from a member: only handshake frames are expected. */
const CLIENT_PAYLOAD_BYTES_MAX = 64 * 1024;

/**
 * A bare WebSocket connection to a member's peer port, speaking the peer
 * protocol (or not) by hand: for checking what a member does with clients
 * that do not know the secret, send garbage, or send too much.
 */
export class RawPeerClient {
  /** Resolves with the close code once the connection is gone, for whatever reason. */
  readonly closed: Promise<number>;
  private readonly texts: string[] = [];
  private textWaiter: ((text: string) => void) | undefined;
  private isClosed = false;

  private constructor(private readonly socket: RawSocket) {
    this.closed = new Promise((resolve) => {
      socket.on('close', (code) => {
        this.isClosed = true;
        resolve(code);
      });
    });
    // A refused client sees resets and protocol errors; 'close' follows and is what the tests await.
    socket.on('error', () => {});
    socket.on('message', (data, isBinary) => {
      if (isBinary || this.texts.length >= TEXT_FRAMES_MAX) return;
      const text = data.toString('utf8');
      if (this.textWaiter === undefined) this.texts.push(text);
      else this.textWaiter(text);
      this.textWaiter = undefined;
    });
  }

  /**
   * Opens a connection to `url`; rejects if it cannot open within `timeoutMs`.
   * `localAddress` (e.g. 127.0.0.2) dials from another loopback address, so a
   * member's handshake slots, grouped by address, tell it apart from real peers.
   */
  static async connect(url: string, timeoutMs: number, localAddress?: string): Promise<RawPeerClient> {
    const socket = new WebSocket(url, {
      maxPayload: CLIENT_PAYLOAD_BYTES_MAX,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    const client = new RawPeerClient(socket);
    await within(
      new Promise<void>((resolve, reject) => {
        socket.on('open', resolve);
        void client.closed.then(() => reject(new Error(`${url} closed before opening`)));
      }),
      timeoutMs,
      `opening ${url}`,
    );
    return client;
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  send(data: string | Uint8Array): void {
    this.socket.send(data, () => {});
  }

  /** The next text frame from the member. */
  nextText(timeoutMs: number): Promise<string> {
    const queued = this.texts.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return within(
      new Promise((resolve) => {
        this.textWaiter = resolve;
      }),
      timeoutMs,
      'a text frame',
    );
  }

  /** Resolves with the close code; rejects if the member keeps the connection open past `timeoutMs`. */
  waitClosed(timeoutMs: number): Promise<number> {
    return within(this.closed, timeoutMs, 'the member to close the connection');
  }

  /**
   * Runs the dialer's side of the peer handshake as member `ownId` towards
   * `peerId` with `secret` (and `clusterName`); resolves with whether the
   * member accepted it.
   */
  async handshake(
    ownId: string,
    peerId: string,
    secret: string,
    timeoutMs: number,
    clusterName = '',
  ): Promise<'done' | 'failed'> {
    const handshake = new Handshake({
      role: 'dialer',
      ownId,
      expectedPeerId: peerId,
      secret: new TextEncoder().encode(secret),
      clusterId: clusterName,
      nonce: new Uint8Array(randomBytes(HANDSHAKE_NONCE_BYTES)),
    });
    for (const frame of handshake.start()) this.send(frame);
    for (;;) {
      const frame = await Promise.race([this.nextText(timeoutMs), this.closed.then(() => undefined)]);
      if (frame === undefined) return 'failed';
      const step = handshake.receive(frame);
      for (const reply of step.send) this.send(reply);
      if (step.status !== 'pending') return step.status;
    }
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** A nonce-bearing hello of the peer protocol, as an insecure member would send it. */
export function insecureHello(id: string): string {
  return JSON.stringify({
    t: 'hello',
    v: 1,
    id,
    nonce: randomBytes(HANDSHAKE_NONCE_BYTES).toString('base64'),
    auth: 'none',
  });
}

function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
