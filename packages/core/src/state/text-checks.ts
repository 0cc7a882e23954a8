/**
 * Checks of the strings a command carries, without allocating. (state/ may
 * not import codec/utf8.ts; this is the part of it the state needs.)
 */

/** What {@link measureText} found. */
export interface TextMeasure {
  /** UTF-8 bytes of the string, or -1 when it holds a lone surrogate (no UTF-8 encoding round-trips it). */
  readonly bytes: number;
  /** True when it holds a C0 control character or DEL. */
  readonly hasControl: boolean;
}

/**
 * Measures `text` in one pass. A lone surrogate makes it unencodable: the
 * encoder would write U+FFFD, so the name that reached the log would differ
 * from the one the caller holds, and its release would never match.
 */
export function measureText(text: string): TextMeasure {
  let bytes = 0;
  let hasControl = false;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) {
      bytes += 1;
      if (unit < 0x20 || unit === 0x7f) hasControl = true;
    } else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) return { bytes: -1, hasControl };
      bytes += 4;
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) return { bytes: -1, hasControl };
    else bytes += 3;
  }
  return { bytes, hasControl };
}

/** UTF-8 bytes of a string already checked by {@link measureText}. */
export function utf8Bytes(text: string): number {
  return Math.max(measureText(text).bytes, 0);
}

/**
 * The problem with an identifier (a name or an owner), or undefined when it
 * is fine: non-empty, at most `bytesMax` UTF-8 bytes, no lone surrogate and
 * no control character (identifiers end up in logs and status pages).
 */
export function identifierProblem(text: string, bytesMax: number): string | undefined {
  if (typeof text !== 'string') return 'is not a string';
  if (text.length === 0) return 'is empty';
  const { bytes, hasControl } = measureText(text);
  if (bytes < 0) return 'holds a lone surrogate';
  if (bytes > bytesMax) return `has ${bytes} UTF-8 bytes, more than ${bytesMax}`;
  if (hasControl) return 'holds a control character';
  return undefined;
}

/** The problem with a holder's value, or undefined: at most `bytesMax` UTF-8 bytes, no lone surrogate. */
export function valueProblem(text: string, bytesMax: number): string | undefined {
  if (typeof text !== 'string') return 'is not a string';
  const { bytes } = measureText(text);
  if (bytes < 0) return 'holds a lone surrogate';
  if (bytes > bytesMax) return `has ${bytes} UTF-8 bytes, more than ${bytesMax}`;
  return undefined;
}
