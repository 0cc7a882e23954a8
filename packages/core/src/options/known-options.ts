import { BatonError } from '../errors.js';

/**
 * Refuses keys of `input` that are not in `known`: a misspelt option
 * (`heartbeatMS`) would otherwise be ignored without a word and its default
 * used. The error names the key as `field` and suggests the nearest known
 * name when one is close.
 */
export function checkKnownOptions(input: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(input)) {
    if (known.includes(key)) continue;
    const near = nearestName(key, known);
    const hint =
      near === undefined ? `; known options are ${known.join(', ')}` : `; did you mean ${prefix}${near}?`;
    throw new BatonError('BATON_CONFIG', `option ${prefix}${key} is not an option Baton knows${hint}`, {
      field: `${prefix}${key}`,
      value: (input as Record<string, unknown>)[key],
    });
  }
}

/** The known name equal to `name` but for case, or within two edits of it; undefined if none is. */
export function nearestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameButCase = known.find((k) => k.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  let best: { name: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(lower, k.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name: k, distance };
  }
  return best?.name;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
