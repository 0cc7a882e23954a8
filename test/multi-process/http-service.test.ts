import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../examples/http-service/', import.meta.url));

describe('examples/http-service, run briefly', () => {
  it('loses no deposit under load, refuses a frozen instance’s late write, runs one scheduler', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'run.ts', '--requests', '60'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => {
      out += String(c);
    });
    child.stderr.on('data', (c) => {
      out += String(c);
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.once('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code, out).toBe(0);
    expect(out).toMatch(/none lost, none counted twice: yes/);
    expect(out).toMatch(/its late write was refused: token \d+ < \d+/);
    expect(out).toMatch(/scheduler ran \d+ times, on n\d/);
  });
});
