import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileStorage } from '../../src/storage/file-storage.js';
import { IDENTITY_FILE_NAME } from '../../src/storage/identity-file.js';
import {
  checkDataDirIdentity,
  decodeIdentity,
  encodeIdentity,
  identityOf,
} from '../../src/storage/member-identity.js';
import { commands, hardState, makeTempDir, recordingLogger, removeTempDir } from './storage-test-kit.js';

const n1 = identityOf('n1', 'billing', ['n3', 'n1', 'n2']);

describe('checkDataDirIdentity', () => {
  it('records the identity of a new dataDir, and adopts once a log written before identities existed', () => {
    expect(checkDataDirIdentity('d', undefined, n1, false)).toEqual({ action: 'record', adopted: false });
    expect(checkDataDirIdentity('d', undefined, n1, true)).toEqual({ action: 'record', adopted: true });
  });

  it('keeps a matching identity, whatever order the members were given in', () => {
    expect(checkDataDirIdentity('d', n1, identityOf('n1', 'billing', ['n2', 'n3', 'n1']), true)).toEqual({
      action: 'keep',
    });
  });

  it.each([
    ['another member', identityOf('n2', 'billing', ['n1', 'n2', 'n3'])],
    ['another cluster name', identityOf('n1', 'staging', ['n1', 'n2', 'n3'])],
    ['no cluster name', identityOf('n1', '', ['n1', 'n2', 'n3'])],
    ['other initial members', identityOf('n1', 'billing', ['n1', 'n4', 'n5'])],
    ['one member more', identityOf('n1', 'billing', ['n1', 'n2', 'n3', 'n4'])],
  ])('refuses %s with BATON_CONFIG naming dataDir', (_name, expected) => {
    const decision = checkDataDirIdentity('/data/n1', n1, expected, true);
    expect(decision.action).toBe('refuse');
    if (decision.action !== 'refuse') return;
    expect(decision.error).toMatchObject({ code: 'BATON_CONFIG', field: 'dataDir', value: '/data/n1' });
  });

  it('encodes and decodes; anything else is not an identity', () => {
    expect(decodeIdentity(encodeIdentity(n1))).toEqual(n1);
    for (const text of [
      '',
      '{',
      '[]',
      '{"version":2}',
      '{"version":1,"memberId":"a","clusterName":"","initialMembers":[1]}',
    ])
      expect(decodeIdentity(text), text).toBeUndefined();
  });
});

describe('FileStorage and the identity of its dataDir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await makeTempDir();
  });
  afterEach(async () => {
    await removeTempDir(dir);
  });

  async function writeLog(
    dataDir: string,
    identity = identityOf(dataDir.endsWith('a') ? 'n1' : 'n2', '', ['n1', 'n2', 'n3']),
  ) {
    const storage = await FileStorage.open(dataDir, { identity });
    await storage.persist({ entries: commands(1, 3, 1), hardState: hardState(1, 3), sync: true });
    await storage.close();
  }

  it('records the identity when the dataDir is new and opens again with the same one', async () => {
    const a = join(dir, 'a');
    await writeLog(a);
    expect(decodeIdentity(await readFile(join(a, IDENTITY_FILE_NAME), 'utf8'))).toEqual(
      identityOf('n1', '', ['n1', 'n2', 'n3']),
    );
    await (await FileStorage.open(a, { identity: identityOf('n1', '', ['n3', 'n2', 'n1']) })).close();
  });

  it('refuses to open one member’s dataDir as another’s: swapped dataDirs', async () => {
    const [a, b] = [join(dir, 'a'), join(dir, 'b')];
    await writeLog(a);
    await writeLog(b);
    await rename(a, join(dir, 'swap'));
    await rename(b, a);
    await rename(join(dir, 'swap'), b);
    for (const path of [a, b]) {
      const identity = identityOf(path === a ? 'n1' : 'n2', '', ['n1', 'n2', 'n3']);
      await expect(FileStorage.open(path, { identity })).rejects.toMatchObject({
        code: 'BATON_CONFIG',
        field: 'dataDir',
      });
    }
    // The refused open released the lock: the rightful member opens it.
    await (await FileStorage.open(a, { identity: identityOf('n2', '', ['n1', 'n2', 'n3']) })).close();
  });

  it('adopts, once and with a warning, a log an earlier version wrote without an identity', async () => {
    const a = join(dir, 'a');
    const storage = await FileStorage.open(a);
    await storage.persist({ entries: commands(1, 2, 1), hardState: hardState(1, 2), sync: true });
    await storage.close();
    const logger = recordingLogger();
    await (await FileStorage.open(a, { identity: n1, logger })).close();
    expect(logger.warnings.some((w) => w.includes('adopting'))).toBe(true);
    await expect(
      FileStorage.open(a, { identity: identityOf('n2', 'billing', ['n1', 'n2', 'n3']) }),
    ).rejects.toMatchObject({
      code: 'BATON_CONFIG',
    });
  });

  it('an identity file that is not one is BATON_STORAGE_CORRUPT', async () => {
    const a = join(dir, 'a');
    await mkdir(a);
    await writeFile(join(a, IDENTITY_FILE_NAME), 'garbage');
    await expect(FileStorage.open(a, { identity: n1 })).rejects.toMatchObject({
      code: 'BATON_STORAGE_CORRUPT',
    });
  });
});
