import { describe, expect, it } from 'vitest';
import { LinkFailureLog } from '../../src/transport/link-failure-log.js';
import { linkHint } from '../../src/transport/link-hints.js';

function recording() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

describe('LinkFailureLog', () => {
  it('logs the first failure at once, then one summary per window with the count, on the injected clock', () => {
    const { lines, logger } = recording();
    let now = 0;
    const log = new LinkFailureLog(logger, () => now, 10_000);
    log.failure('to n2', 'bad-proof', { peer: 'n2' }, 'cannot link to peer');
    for (let i = 0; i < 40; i++) {
      now += 250; // four dials a second
      log.failure('to n2', 'bad-proof', { peer: 'n2' }, 'cannot link to peer');
    }
    // 10 s of failures: the first line, and one summary when the window ended.
    expect(lines.map((l) => l.level)).toEqual(['warn', 'warn']);
    expect(lines[1]?.obj).toMatchObject({ peer: 'n2', cause: 'bad-proof', failures: 41, inLastSeconds: 40 });
  });

  it('keeps episodes per key, logs a new cause at once, and ends an episode with one line', () => {
    const { lines, logger } = recording();
    let now = 0;
    const log = new LinkFailureLog(logger, () => now, 10_000);
    log.failure('to n2', 'ECONNREFUSED', { peer: 'n2' }, 'cannot link to peer', 'info');
    log.failure('to n3', 'ECONNREFUSED', { peer: 'n3' }, 'cannot link to peer', 'info');
    now += 100;
    log.failure('to n2', 'ECONNREFUSED', { peer: 'n2' }, 'cannot link to peer', 'info');
    log.failure('to n2', 'bad-proof', { peer: 'n2' }, 'cannot link to peer');
    log.recovered('to n2', { peer: 'n2' }, 'peer link up');
    log.failure('to n2', 'ECONNREFUSED', { peer: 'n2' }, 'cannot link to peer', 'info');
    expect(lines.map((l) => [l.level, l.obj.peer, l.obj.cause ?? l.obj.failuresBefore])).toEqual([
      ['info', 'n2', 'ECONNREFUSED'],
      ['info', 'n3', 'ECONNREFUSED'],
      ['warn', 'n2', 'bad-proof'],
      ['info', 'n2', 3],
      ['info', 'n2', 'ECONNREFUSED'],
    ]);
  });

  it('no line carries a key twice: the logged object is one plain object', () => {
    const { lines, logger } = recording();
    const log = new LinkFailureLog(logger, () => 0);
    log.failure('from host 10.0.0.9', 'handshake-timeout', { remote: '10.0.0.9:5000' }, 'refused');
    expect(Object.keys(lines[0]?.obj ?? {})).toEqual(['remote', 'cause']);
  });

  it('hints name the likely cause', () => {
    expect(linkHint('bad-proof')).toMatch(/secret or clusterName/);
    expect(linkHint('ECONNREFUSED')).toMatch(/nothing listens/);
    expect(linkHint('UNABLE_TO_VERIFY_LEAF_SIGNATURE')).toMatch(/TLS/);
  });
});
