import { describe, expect, it } from 'vitest';
import { listSegments, parseSegmentFileName, segmentFileName } from '../../src/storage/wal-segments.js';

describe('wal segment names', () => {
  it('round-trip seq and firstIndex, zero-padded to 16 digits', () => {
    const file = segmentFileName(3, 1_000_001);
    expect(file).toBe('wal-0000000000000003-0000000001000001.log');
    expect(parseSegmentFileName(file)).toEqual({ file, seq: 3, firstIndex: 1_000_001 });
  });

  it('are listed in creation (seq) order, even when firstIndex goes backwards after an overwrite', () => {
    const names = [
      segmentFileName(2, 40),
      'LOCK',
      segmentFileName(1, 50),
      'wal-1.log',
      segmentFileName(10, 1),
    ];
    expect(listSegments(names).map((n) => n.seq)).toEqual([1, 2, 10]);
  });

  it('refuse files that are not segments', () => {
    for (const file of ['wal-1-1.log', 'wal-0000000000000001-0000000000000000.log', 'x.log', 'wal-a-b.log']) {
      expect(parseSegmentFileName(file)).toBeUndefined();
    }
    expect(() => segmentFileName(-1, 1)).toThrow(RangeError);
  });
});
