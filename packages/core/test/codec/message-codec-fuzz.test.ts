import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from '../../src/codec/message-codec.js';
import { validateMessage } from '../../src/codec/validate-message.js';
import { isBatonError } from '../../src/errors.js';
import { formatSeed, parseSeed, Rng } from '../../src/sim/rng.js';
import { MUTATION_KINDS, mutateFrame } from './frame-mutations.js';

/** BATON_SEED picks another run; the default is fixed so the default run is the same every time. */
const SEED = process.env.BATON_SEED === undefined ? 0xf022 : parseSeed(process.env.BATON_SEED);
const FRAMES_PER_KIND = 4000;
/**
 * A decode that takes this long on any frame is a hang waiting to happen
 * (frames here are < 64 KiB). Judged on the fastest of a few decodes of the
 * slowest frame: a pause of the process (GC, another process on the core)
 * lengthens one decode, while a decode that is itself slow stays slow.
 */
const DECODE_MS_MAX = 50;
const RETIMES = 5;

/** The fastest of RETIMES decodes of `bytes`, ms. */
function fastestDecodeMs(bytes: Uint8Array): number {
  let fastest = Number.POSITIVE_INFINITY;
  for (let i = 0; i < RETIMES; i++) {
    const started = performance.now();
    try {
      decodeMessage(bytes);
    } catch {
      // refused: timed all the same
    }
    fastest = Math.min(fastest, performance.now() - started);
  }
  return fastest;
}

describe('decodeMessage against structured mutations', () => {
  it.each(MUTATION_KINDS)(
    `%s: only BATON_PROTOCOL or a valid message, quickly (seed ${formatSeed(SEED)})`,
    (kind) => {
      const rng = Rng.fromSeed(SEED).fork(kind);
      const outcomes = { accepted: 0, refused: 0 };
      let slowest: { ms: number; bytes: Uint8Array } = { ms: 0, bytes: new Uint8Array(0) };
      for (let i = 0; i < FRAMES_PER_KIND; i++) {
        const { bytes } = mutateFrame(rng, kind);
        const where = `seed=${formatSeed(SEED)} ${kind} #${i}: ${Buffer.from(bytes.slice(0, 80)).toString('hex')}`;
        const started = performance.now();
        let decoded: ReturnType<typeof decodeMessage>;
        try {
          decoded = decodeMessage(bytes);
          outcomes.accepted++;
        } catch (error) {
          if (!isBatonError(error, 'BATON_PROTOCOL')) throw new Error(where, { cause: error });
          outcomes.refused++;
          continue;
        } finally {
          const ms = performance.now() - started;
          if (ms > slowest.ms) slowest = { ms, bytes };
        }
        // Whatever is accepted is a valid message with exactly one encoding.
        expect(() => validateMessage(decoded), where).not.toThrow();
        expect(encodeMessage(decoded), where).toEqual(bytes);
      }
      expect(fastestDecodeMs(slowest.bytes)).toBeLessThan(DECODE_MS_MAX);
      // Every kind must be refused often, or it is not exercising the checks.
      expect(outcomes.refused).toBeGreaterThan(FRAMES_PER_KIND / 10);
    },
  );
});
