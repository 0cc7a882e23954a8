import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cluster } from '@baton/core';
import { Election } from '@baton/election';
import { Locks } from '@baton/lock';
import { pino } from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { memberUrls } from './support/free-port.js';

/** Debian's chromium (.ci/run installs it); the test fails, never skips, without it. */
const CHROMIUM = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';
/** Where the README's screenshot comes from (written when BATON_SCREENSHOT=1). */
const SCREENSHOT = fileURLToPath(new URL('../docs/status-page.png', import.meta.url));

let browser: Browser | undefined;
const running: Cluster[] = [];

/**
 * Installs Debian's chromium when it is missing and this process may (root,
 * apt-get present): the README's test command must work on a fresh machine.
 */
function ensureChromium(): void {
  if (existsSync(CHROMIUM) || process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  const apt = (...args: string[]) => execFileSync('apt-get', args, { stdio: 'ignore', timeout: 600_000 });
  try {
    apt('install', '-y', 'chromium');
  } catch {
    apt('update');
    apt('install', '-y', 'chromium');
  }
}

beforeAll(async () => {
  ensureChromium();
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium`).toBe(true);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in a container, without its sandbox; no background traffic on a closed network.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 900_000);
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
});

describe('the status page in a real browser (headless chromium)', () => {
  it('loads, shows the leader, and shows the new leader after the old one is stopped', async () => {
    const members = await memberUrls(['n1', 'n2', 'n3']);
    const logger = pino({ level: 'silent' });
    const started = await Promise.all(
      Object.keys(members).map((id) =>
        Cluster.start({
          id,
          members,
          dataDir: ':memory:',
          secret: 'browser-test-secret-1',
          logger,
          status: { port: 0 },
        }),
      ),
    );
    running.push(...started);
    await Promise.race(started.map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })));
    const leader = started.find((c) => c.role === 'leader')!;
    const watcher = started.find((c) => c !== leader)!;
    // Something to show: a lock with a waiter, and a named election.
    const locks = [new Locks(watcher, { ttlMs: 5000 }), new Locks(leader, { ttlMs: 5000 })];
    const held = await locks[0]!.acquire('invoice-42');
    const waiting = locks[1]!.acquire('invoice-42').catch(() => undefined);
    await new Election(leader, 'billing-cron', { ttlMs: 5000 }).campaign({ value: 'http://10.0.0.7:8080' });
    const page = await browser!.newPage();
    await page.goto(`http://127.0.0.1:${watcher.statusPort}/`);
    // The state line and the members table both name the leader (one render draws both).
    await page.getByText(`leader: ${leader.id}`).waitFor({ timeout: 10_000 });
    await page.locator('tr.leader td').getByText(leader.id, { exact: true }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#conn').textContent()).toBe('live');
    await page.getByText('invoice-42').waitFor({ timeout: 10_000 });
    if (process.env.BATON_SCREENSHOT === '1') await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await held.release();
    await waiting;

    await leader.stop();
    const next = await Promise.race(
      started.filter((c) => c !== leader).map((c) => c.leadership({ signal: AbortSignal.timeout(10_000) })),
    );
    const nextLeader = started.find((c) => c !== leader && c.role === 'leader')!;
    expect(next.term).toBeGreaterThan(0);
    await page.getByText(`leader: ${nextLeader.id}`).waitFor({ timeout: 10_000 });
    await page.locator('tr.leader td').getByText(nextLeader.id, { exact: true }).waitFor({ timeout: 10_000 });
    await page.close();
  });
});
