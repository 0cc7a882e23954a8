import { describe, expect, it } from 'vitest';
import { LinkWatch } from './link-watch.js';

const line = (msg: string, fields: object = {}): string =>
  JSON.stringify({ level: 30, time: 0, member: 'x', ...fields, msg });

describe('LinkWatch', () => {
  it('counts every link-up after a link’s first as a reconnect', () => {
    const watch = new LinkWatch();
    watch.onLog('n1', line('peer link up', { peer: 'n2' }));
    watch.onLog('n1', line('peer link up', { peer: 'n3' }));
    expect(watch.reconnects()).toBe(0);
    watch.onLog('n1', line('peer link down', { peer: 'n2' }));
    expect(watch.isUp('n1', 'n2')).toBe(false);
    watch.onLog('n1', line('peer link up', { peer: 'n2', failuresBefore: 1 }));
    expect(watch.isUp('n1', 'n2')).toBe(true);
    expect(watch.reconnects()).toBe(1);
  });

  it('ignores lines that are not JSON and counts compactions per member', () => {
    const watch = new LinkWatch();
    watch.onLog('n1', 'Debugger attached.');
    watch.onLog('n1', '{ not json');
    watch.onLog('n2', line('WAL segments compacted', { deleted: ['a'] }));
    expect(watch.compactions.get('n2')).toBe(1);
    expect(watch.reconnects()).toBe(0);
  });

  it('resolves allUp when the last link comes up', async () => {
    const watch = new LinkWatch();
    const ids = ['n1', 'n2'];
    watch.onLog('n1', line('peer link up', { peer: 'n2' }));
    const up = watch.allUp(ids, 60_000);
    watch.onLog('n2', line('peer link up', { peer: 'n1' }));
    await expect(up).resolves.toBeUndefined();
  });
});
