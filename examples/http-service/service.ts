/**
 * One instance of the service: a Baton member plus an HTTP server.
 * - POST /deposit?account=a&amount=n takes the lock `account:a`, reads the
 *   balance and writes it back increased, both fenced by the lock's token
 *   (with an await in between, as real services have).
 * - GET /balance?account=a reads it.
 * - Only the leader runs the scheduler (runOnLeader): it appends a line to
 *   scheduler.log every 200 ms.
 * Configured by the BATON_SERVICE environment variable (JSON).
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Cluster, isBatonError } from '@baton/core';
import { runOnLeader } from '@baton/election';
import { Locks } from '@baton/lock';
import { FencedAccounts, StaleTokenError } from './fenced-accounts.js';

const config = JSON.parse(process.env.BATON_SERVICE ?? '{}') as {
  id: string;
  members: Record<string, string>;
  httpPort: number;
  dir: string;
  secret: string;
};

const cluster = await Cluster.start({
  id: config.id,
  members: config.members,
  dataDir: join(config.dir, 'data', config.id),
  secret: config.secret,
});
const locks = new Locks(cluster, { ttlMs: 1000 });
const accounts = new FencedAccounts(join(config.dir, 'accounts'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const scheduler = runOnLeader(cluster, async (token) => {
  while (!token.signal.aborted) {
    if (token.valid) appendFileSync(join(config.dir, 'scheduler.log'), `${config.id} term ${token.term}\n`);
    await sleep(200);
  }
});

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const account = url.searchParams.get('account') ?? 'main';
  const reply = (status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && url.pathname === '/balance')
    return reply(200, { balance: accounts.balance(account) });
  if (req.method !== 'POST' || url.pathname !== '/deposit') return reply(404, { error: 'not found' });
  const amount = Number(url.searchParams.get('amount') ?? '1');
  const holdMs = Number(url.searchParams.get('hold') ?? '0'); // extra work inside the lock (run.ts pauses us there)
  locks
    .withLock(
      `account:${account}`,
      async (held) => {
        const balance = accounts.read(account, held.fencingToken);
        await sleep(1 + holdMs); // real work between the read and the write
        accounts.write(account, held.fencingToken, balance + amount);
        return held.fencingToken;
      },
      { waitMs: 10_000 },
    )
    .then(
      (fencingToken) => reply(200, { ok: true, fencingToken }),
      (error: unknown) => {
        if (error instanceof StaleTokenError)
          reply(409, { error: 'stale-token', token: error.token, highest: error.highest });
        else reply(503, { error: isBatonError(error) ? error.code : String(error) });
      },
    );
});
server.listen(config.httpPort, '127.0.0.1', () =>
  process.stdout.write(`${JSON.stringify({ ready: config.id })}\n`),
);

process.on('SIGTERM', () => {
  void (async () => {
    server.close();
    await scheduler.stop();
    await locks.close();
    await cluster.stop();
    process.exit(0);
  })();
});
