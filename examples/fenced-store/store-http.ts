/**
 * The fenced store over HTTP, so that every member process talks to one
 * store, as they would to a database: POST /read { key, fence } and
 * POST /write { key, value, fence }; 409 with { code: 'STALE_FENCE' } when
 * the token is too old.
 */
import { createServer } from 'node:http';
import { type FencedStore, StaleFenceError } from './fenced-store.js';

/** Serves `store` on a free loopback port. */
export async function serveStore(store: FencedStore): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const answer = (status: number, value: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      try {
        const { key, value, fence } = JSON.parse(body) as { key: string; value?: number; fence: number };
        if (req.url === '/read') answer(200, { value: store.read(key, fence) });
        else if (req.url === '/write') {
          store.write(key, value ?? 0, fence);
          answer(200, { ok: true });
        } else answer(404, { code: 'NOT_FOUND' });
      } catch (error) {
        if (error instanceof StaleFenceError)
          answer(409, { code: error.code, fence: error.fence, highest: error.highest });
        else answer(400, { code: 'BAD_REQUEST' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What a member uses to reach the store. */
export class StoreClient {
  constructor(private readonly url: string) {}

  async read(key: string, fence: number): Promise<number> {
    const { value } = (await this.post('/read', { key, fence })) as { value: number };
    return value;
  }

  async write(key: string, value: number, fence: number): Promise<void> {
    await this.post('/write', { key, value, fence });
  }

  private async post(path: string, body: object): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, { method: 'POST', body: JSON.stringify(body) });
    const answer = (await res.json()) as { code?: string; fence?: number; highest?: number };
    if (res.status === 409) {
      throw new StaleFenceError((body as { key: string }).key, answer.fence ?? 0, answer.highest ?? 0);
    }
    if (!res.ok) throw new Error(`store answered ${res.status} ${answer.code ?? ''}`);
    return answer;
  }
}
