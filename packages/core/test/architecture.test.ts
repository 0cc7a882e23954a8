import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const src = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Strips comments so that prose mentioning Date.now does not count. */
function code(path: string): string {
  return readFileSync(path, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1');
}

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:import|export)[^'"]*?from\s*['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

/** Names that bring time, randomness or I/O into a module. */
const forbiddenNames = [
  /\bDate\b/,
  /\bperformance\b/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bsetImmediate\b/,
  /\bqueueMicrotask\b/,
  /\bMath\.random\b/,
  /\bcrypto\b/,
  /\bprocess\b/,
  /\brequire\s*\(/,
  /\bimport\s*\(/,
  /\bfetch\s*\(/,
];

function violations(dir: string, allowedImport: (spec: string, file: string) => boolean): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(join(src, dir))) {
    const text = code(file);
    const name = relative(src, file);
    for (const spec of importsOf(text)) if (!allowedImport(spec, file)) found.push(`${name} imports ${spec}`);
    for (const re of forbiddenNames) if (re.test(text)) found.push(`${name} uses ${re.source}`);
  }
  return found;
}

describe('architecture: the pure core has borders', () => {
  it('raft/ imports nothing but its own modules and uses no clock, timer, randomness or I/O', () => {
    expect(violations('raft', (spec) => spec.startsWith('./'))).toEqual([]);
  });

  it('state/ imports nothing from raft, storage, transport or node, and uses no clock, timer or randomness', () => {
    const allowed = (spec: string) =>
      spec.startsWith('./') || spec === '../errors.js' || spec.startsWith('../codec/byte-');
    expect(violations('state', allowed)).toEqual([]);
    // The rule must look at real files, not pass on an empty folder.
    expect(sourceFiles(join(src, 'state')).length).toBeGreaterThan(2);
  });

  it('the checker itself catches a planted violation', () => {
    const text = "import { x } from 'node:fs';\nconst t = Date.now();";
    expect(importsOf(text)).toEqual(['node:fs']);
    expect(forbiddenNames.some((re) => re.test(text))).toBe(true);
  });
});
