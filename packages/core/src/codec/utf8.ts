/**
 * UTF-8 helpers shared by the byte writer, the byte reader and message
 * validation. Pure: only the TextEncoder/TextDecoder globals.
 */

/** One encoder for the whole process: TextEncoder is stateless. */
export const utf8Encoder = new TextEncoder();

/**
 * A strict decoder: `fatal: true` makes invalid UTF-8 throw instead of being
 * replaced by U+FFFD, so a corrupted frame cannot decode to a different id.
 * `ignoreBOM: true` keeps a leading U+FEFF as part of the string, so decoding
 * returns exactly the characters that were encoded.
 */
export const utf8StrictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The number of bytes `utf8Encoder.encode(text)` produces, computed without
 * allocating. A lone surrogate counts 3 bytes, because the encoder replaces it
 * with U+FFFD.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      i + 1 < text.length &&
      isLowSurrogate(text.charCodeAt(i + 1))
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
