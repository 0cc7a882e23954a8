import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Whether a process with this pid still runs. A zombie (exited, not yet
 * reaped: an orphan whose new parent does not reap, as in some containers)
 * counts as gone.
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('the demo (pnpm demo), run non-interactively', () => {
  it('elects, fails over, hands locks out with growing fencing tokens, and leaves no process or file behind', async () => {
    const child = spawn(
      process.execPath,
      ['--conditions=@baton/source', '--import', 'tsx', 'examples/demo/demo.ts'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      out += String(chunk);
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, out).toBe(0);
    expect(out).toMatch(/elected: n\d leads term \d+/);
    expect(out).toMatch(/failover: n\d leads term \d+, \d+ ms after the kill/);
    expect(out).toMatch(/holds lock invoice-42, fencing token \d+/);
    expect(out).toMatch(/won the election billing-cron/);
    expect(out).toMatch(/fencing tokens only grew: yes/);
    expect(out).toMatch(/never two at once: yes/);
    expect(out).not.toMatch(/MaxListenersExceeded/);
    const dataDir = /data in (\S+)/.exec(out)?.[1];
    expect(dataDir).toBeDefined();
    expect(existsSync(dataDir!)).toBe(false);
    const pids = [...out.matchAll(/started \(pid (\d+)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBeGreaterThanOrEqual(4); // three members and the restarted one
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pids.filter(alive)).toEqual([]);
  });
});
