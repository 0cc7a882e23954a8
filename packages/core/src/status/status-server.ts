import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../env.js';
import { STATUS_PAGE_HTML } from './status-page.js';
import { buildStatusReport, renderMetrics, type StatusSource } from './status-report.js';

/** Live views open at once at most; more are refused (503) rather than grow without bound. */
const EVENT_STREAMS_MAX = 32;
/** How often an open live view gets the state. */
const EVENT_INTERVAL_MS = 500;

/**
 * The read-only status page of one member (node:http): `/` the HTML page,
 * `/status.json` the report, `/metrics` Prometheus text, `/events`
 * server-sent events with the report every half second. Only GET and HEAD.
 */
export class StatusServer {
  private readonly server: Server;
  private readonly streams = new Set<ServerResponse>();
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(
    private readonly source: StatusSource,
    private readonly logger: Logger,
  ) {
    this.server = createServer((req, res) => this.handle(req, res));
  }

  /** Listens on host:port; resolves with the port (useful with port 0). */
  static async start(
    source: StatusSource,
    host: string,
    port: number,
    logger: Logger,
  ): Promise<StatusServer> {
    const s = new StatusServer(source, logger);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(port, host, () => {
        s.server.off('error', reject);
        resolve();
      });
    });
    return s;
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : 0;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const res of this.streams) res.end();
    this.streams.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain', 'read-only\n');
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    try {
      if (path === '/') send(res, 200, 'text/html; charset=utf-8', STATUS_PAGE_HTML);
      else if (path === '/status.json')
        send(res, 200, 'application/json', JSON.stringify(buildStatusReport(this.source)));
      else if (path === '/metrics') send(res, 200, 'text/plain; version=0.0.4', renderMetrics(this.source));
      else if (path === '/events') this.openStream(res);
      else send(res, 404, 'text/plain', 'not found\n');
    } catch (error) {
      this.logger.warn({ err: error, path }, 'status page request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
    }
  }

  private openStream(res: ServerResponse): void {
    if (this.streams.size >= EVENT_STREAMS_MAX) {
      send(res, 503, 'text/plain', 'too many live views\n');
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    this.push(res);
    this.timer ??= setInterval(() => {
      for (const stream of this.streams) this.push(stream);
    }, EVENT_INTERVAL_MS);
    this.timer.unref();
  }

  private push(res: ServerResponse): void {
    // A slow reader gets no backlog: skip this update while its buffer is full.
    if (res.writableNeedDrain) return;
    res.write(`data: ${JSON.stringify(buildStatusReport(this.source))}\n\n`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}
