import { parseArgs } from 'node:util';

/** What `pnpm soak` was asked for. */
export interface SoakArgs {
  readonly minutes: number;
  readonly workers: number;
  readonly reconnects: number;
  readonly members: number;
}

/** A command line that cannot be run; the CLI prints `message` and exits 2. */
export class SoakArgsError extends Error {}

/**
 * Parses `[--minutes M] [--workers W] [--reconnects R] [--members N]`:
 * minutes a positive number (fractions allowed, up to a day), workers and
 * reconnects positive integers, members an odd count from 3 to 7 (an even
 * count tolerates no more failures than the odd one below it).
 */
export function parseSoakArgs(argv: readonly string[]): SoakArgs {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        minutes: { type: 'string', default: '10' },
        workers: { type: 'string', default: '16' },
        reconnects: { type: 'string', default: '1000' },
        members: { type: 'string', default: '3' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new SoakArgsError(error instanceof Error ? error.message : String(error));
  }
  const minutes = Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > 24 * 60) {
    throw new SoakArgsError(`--minutes must be a number above 0 and at most 1440, got ${values.minutes}`);
  }
  const workers = integer('workers', values.workers, 1, 1000);
  const reconnects = integer('reconnects', values.reconnects, 1, 1_000_000);
  const members = integer('members', values.members, 3, 7);
  if (members % 2 === 0) throw new SoakArgsError(`--members must be odd (3, 5 or 7), got ${members}`);
  return { minutes, workers, reconnects, members };
}

function integer(name: string, text: string | undefined, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new SoakArgsError(`--${name} must be an integer from ${min} to ${max}, got ${text}`);
  }
  return n;
}
