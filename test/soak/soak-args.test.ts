import { describe, expect, it } from 'vitest';
import { workersOf } from './run-soak.js';
import { parseSoakArgs, SoakArgsError } from './soak-args.js';

describe('parseSoakArgs', () => {
  it('defaults to the issue’s run: 10 minutes, 16 workers, 1,000 reconnects, 3 members', () => {
    expect(parseSoakArgs([])).toEqual({ minutes: 10, workers: 16, reconnects: 1000, members: 3 });
  });

  it('takes every option, minutes as a fraction too', () => {
    expect(
      parseSoakArgs(['--minutes', '0.5', '--workers', '4', '--reconnects', '100', '--members', '5']),
    ).toEqual({ minutes: 0.5, workers: 4, reconnects: 100, members: 5 });
  });

  it.each([
    [['--minutes', '0']],
    [['--minutes', 'ten']],
    [['--workers', '2.5']],
    [['--reconnects', '-1']],
    [['--members', '4']],
    [['--members', '9']],
    [['--seconds', '10']],
    [['extra']],
  ])('refuses %j', (argv) => {
    expect(() => parseSoakArgs(argv)).toThrow(SoakArgsError);
  });
});

describe('workersOf', () => {
  it('spreads 16 workers over 3 members as 6, 5, 5', () => {
    expect([0, 1, 2].map((i) => workersOf(i, 3, 16))).toEqual([6, 5, 5]);
  });
});
