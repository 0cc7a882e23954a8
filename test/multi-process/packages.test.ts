import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../fixtures/consumer/', import.meta.url));
const TSC = join(ROOT, 'node_modules/.bin/tsc');
const dir = mkdtempSync(join(tmpdir(), 'baton-consumer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000 });

describe('the packages as a user installs them', () => {
  it('pnpm pack, npm install of the tarballs in a fresh project, then type-check and run a consumer', () => {
    run(TSC, ['-b'], ROOT); // dist/ up to date with the sources
    const tarballs = ['core', 'lock', 'election'].map((name) => {
      run('pnpm', ['pack', '--pack-destination', dir], join(ROOT, 'packages', name));
      return join(dir, readdirSync(dir).find((f) => f.startsWith(`baton-${name}-`))!);
    });
    cpSync(FIXTURE, join(dir, 'app'), { recursive: true });
    const app = join(dir, 'app');
    writeFileSync(
      join(app, 'package.json'),
      // The lock and election tarballs depend on @baton/core 0.1.0: the core tarball, a direct dependency, satisfies it.
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    run('npm', ['install', '--no-audit', '--no-fund', ...tarballs, '@types/node@20'], app);
    run(TSC, ['-p', 'tsconfig.json'], app);
    const out = JSON.parse(run(process.execPath, ['out/consumer.js'], app).trim().split('\n').at(-1)!);
    expect(out).toEqual({
      term: expect.any(Number),
      fencingToken: expect.any(Number),
      winner: true,
      refused: true,
    });
  });
});
