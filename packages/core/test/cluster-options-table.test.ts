import { describe, expect, it } from 'vitest';
import { type ClusterOptions, resolveClusterOptions } from '../src/cluster-options.js';
import { isBatonError } from '../src/errors.js';

/** Valid options; each case below breaks one thing. */
const base: ClusterOptions = {
  id: 'n1',
  members: { n1: 'ws://127.0.0.1:7401', n2: 'ws://127.0.0.1:7402', n3: 'ws://127.0.0.1:7403' },
  secret: 'sixteen-byte-key',
};

const cases: readonly { name: string; options: Record<string, unknown>; field: string }[] = [
  { name: 'a misspelt option (heartbeatMS)', options: { ...base, heartbeatMS: 100 }, field: 'heartbeatMS' },
  { name: 'an option Baton does not have', options: { ...base, retries: 3 }, field: 'retries' },
  { name: 'a misspelt listen option', options: { ...base, listen: { prot: 7401 } }, field: 'listen.prot' },
  {
    name: 'a misspelt tls option',
    options: {
      ...base,
      members: { n1: 'wss://127.0.0.1:7401' },
      tls: { key: 'k', cert: 'c', ca: 'a', cas: 'a' },
    },
    field: 'tls.cas',
  },
  { name: 'a secret shorter than 16 bytes', options: { ...base, secret: 'x' }, field: 'secret' },
  { name: 'a secret of 15 bytes', options: { ...base, secret: '123456789012345' }, field: 'secret' },
  { name: 'no secret and no insecure', options: { ...base, secret: undefined }, field: 'secret' },
  {
    name: 'insecure given as a string',
    options: { ...base, secret: undefined, insecure: 'yes' },
    field: 'insecure',
  },
  {
    name: 'a member URL without a port',
    options: { ...base, members: { ...base.members, n2: 'ws://127.0.0.1' } },
    field: 'members.n2',
  },
  {
    name: 'a member URL with an empty port',
    options: { ...base, members: { ...base.members, n3: 'ws://127.0.0.1:/' } },
    field: 'members.n3',
  },
  {
    name: 'two member ids with the same URL',
    options: { ...base, members: { ...base.members, n3: 'ws://127.0.0.1:7402' } },
    field: 'members.n3',
  },
  {
    name: 'two member ids with the same address written differently',
    options: { ...base, members: { ...base.members, n3: 'ws://LOCALHOST:7402/', n2: 'ws://localhost:7402' } },
    field: 'members.n3',
  },
  {
    name: 'members given as an array',
    options: { ...base, members: ['ws://127.0.0.1:7401'] },
    field: 'members',
  },
  {
    name: 'members without this id',
    options: { ...base, members: { n2: 'ws://127.0.0.1:7402' } },
    field: 'members',
  },
  {
    name: 'an http:// member URL',
    options: { ...base, members: { n1: 'http://127.0.0.1:7401' } },
    field: 'members.n1',
  },
  { name: 'an unknown log level', options: { ...base, logLevel: 'verbose' }, field: 'logLevel' },
  {
    name: 'a log level beside a logger',
    options: { ...base, logLevel: 'info', logger: console },
    field: 'logLevel',
  },
  { name: 'options that are an array', options: [] as unknown as Record<string, unknown>, field: 'options' },
];

describe('resolveClusterOptions refuses misconfiguration', () => {
  it.each(cases)('$name: BATON_CONFIG naming $field', ({ options, field }) => {
    let error: unknown;
    try {
      resolveClusterOptions(options as unknown as ClusterOptions);
    } catch (e) {
      error = e;
    }
    expect(isBatonError(error, 'BATON_CONFIG')).toBe(true);
    expect((error as { field?: string }).field).toBe(field);
  });

  it('accepts the base options, a short secret with insecure: true, an explicit port 80 and a log level', () => {
    expect(resolveClusterOptions(base).logLevel).toBe('warn');
    expect(resolveClusterOptions({ ...base, secret: 'x', insecure: true }).secret).toBe('x');
    expect(resolveClusterOptions({ ...base, secret: undefined, insecure: true }).secret).toBeUndefined();
    expect(resolveClusterOptions({ ...base, members: { n1: 'ws://h:80' } }).listen).toEqual({
      host: 'h',
      port: 80,
    });
    expect(resolveClusterOptions({ ...base, logLevel: 'info' }).logLevel).toBe('info');
  });

  it('never puts the secret into the error', () => {
    for (const secret of ['hunter2', 12345]) {
      let error: unknown;
      try {
        resolveClusterOptions({ ...base, secret } as unknown as ClusterOptions);
      } catch (e) {
        error = e;
      }
      expect(String((error as Error).message)).not.toContain(String(secret));
      expect((error as { value?: unknown }).value).not.toBe(secret);
    }
  });
});
