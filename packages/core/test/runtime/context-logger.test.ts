import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withContext } from '../../src/runtime/context-logger.js';

function recording() {
  const lines: Record<string, unknown>[] = [];
  const push = (obj: object) => {
    lines.push(obj as Record<string, unknown>);
  };
  return { lines, logger: { debug: push, info: push, warn: push, error: push } };
}

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('withContext', () => {
  it('names the role as the public API does: a pre-candidate is a candidate', () => {
    const { lines, logger } = recording();
    let role = 'preCandidate';
    const log = withContext(logger, 'n1', () => ({ term: 3, role }));
    log.info({}, 'campaigning');
    role = 'leader';
    log.info({}, 'leading');
    expect(lines).toEqual([
      { member: 'n1', term: 3, role: 'candidate' },
      { member: 'n1', term: 3, role: 'leader' },
    ]);
  });

  it('a field the line sets itself wins, so a key appears once', () => {
    const { lines, logger } = recording();
    withContext(logger, 'n1', () => ({ term: 3, role: 'follower' })).info({ term: 4 }, 'stopped');
    expect(lines).toEqual([{ member: 'n1', term: 4, role: 'follower' }]);
  });

  it('no log line in the sources sets a key pino adds itself (pid, hostname, level, time, msg)', () => {
    const reserved = /(?:^|[{,\s])(pid|hostname|level|time|msg)\s*[:,}]/;
    const found: string[] = [];
    for (const file of sources(join(import.meta.dirname, '..', '..', 'src'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\.(?:debug|info|warn|error)\(\s*(\{[^}]*\})/g)) {
        if (reserved.test(match[1] ?? '')) found.push(`${file}: ${match[1]}`);
      }
    }
    expect(found).toEqual([]);
  });
});
