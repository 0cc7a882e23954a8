import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const storageDir = join(import.meta.dirname, '..', '..', 'src', 'storage');

/** Which storage files may import which node: modules: I/O stays at the edge, the rest is pure. */
const allowed: Record<string, readonly string[]> = {
  'wal.ts': ['node:fs/promises', 'node:path'],
  'wal-scan.ts': ['node:fs/promises', 'node:path'],
  'snapshot-store.ts': ['node:fs/promises', 'node:path'],
  'data-dir-lock.ts': ['node:fs', 'node:fs/promises', 'node:path'],
  'lock-socket.ts': ['node:crypto', 'node:fs/promises', 'node:net', 'node:path'],
  'lock-owner.ts': ['node:fs/promises', 'node:os', 'node:path'],
  'legacy-lock-file.ts': ['node:fs/promises'],
  'file-storage.ts': ['node:path'],
  'identity-file.ts': ['node:fs/promises', 'node:path'],
  'wal-record.ts': ['node:zlib'],
};

function nodeImports(text: string): string[] {
  return [...text.matchAll(/from\s*['"](node:[^'"]+)['"]/g)].map((m) => m[1]!);
}

describe('storage: I/O only at the edge', () => {
  it('only the file layer imports node:fs; framing, replay and the log rules are pure', () => {
    const found: string[] = [];
    for (const file of readdirSync(storageDir).filter((name) => name.endsWith('.ts'))) {
      for (const spec of nodeImports(readFileSync(join(storageDir, file), 'utf8'))) {
        if (!(allowed[file] ?? []).includes(spec)) found.push(`${file} imports ${spec}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('the checker sees an import', () => {
    expect(nodeImports("import { open } from 'node:fs/promises';")).toEqual(['node:fs/promises']);
  });
});
