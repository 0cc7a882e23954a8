import { describe, expect, it } from 'vitest';
import { Cluster } from '../src/cluster.js';
import { resolveClusterOptions } from '../src/cluster-options.js';
import { isBatonError } from '../src/errors.js';

const base = { id: 'n1', members: { n1: 'ws://127.0.0.1:0' }, insecure: true, dataDir: ':memory:' } as const;

function configFieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isBatonError(error, 'BATON_CONFIG') ? error.field : `not BATON_CONFIG: ${String(error)}`;
  }
  return undefined;
}

describe('options checked at resolve time: logger and dataDir', () => {
  it('a logger without debug/info/warn/error is BATON_CONFIG naming logger, in resolve and in start', async () => {
    expect(configFieldOf(() => resolveClusterOptions({ ...base, logger: {} as never }))).toBe('logger');
    await expect(Cluster.start({ ...base, logger: 'pino' as never })).rejects.toMatchObject({
      code: 'BATON_CONFIG',
      field: 'logger',
    });
  });

  it('a dataDir with a NUL byte is BATON_CONFIG naming dataDir', () => {
    expect(configFieldOf(() => resolveClusterOptions({ ...base, dataDir: '/tmp/baton\0x' }))).toBe('dataDir');
  });
});
