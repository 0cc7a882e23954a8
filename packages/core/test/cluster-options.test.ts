import { describe, expect, it } from 'vitest';
import { resolveClusterOptions } from '../src/cluster-options.js';
import { encodeMessage } from '../src/codec/message-codec.js';
import { resolveMessageLimits } from '../src/codec/message-limits.js';
import { entryRecord } from '../src/storage/record-payloads.js';
import { WAL_RECORD_PAYLOAD_BYTES_MAX } from '../src/storage/wal.js';
import { RECORD_HEADER_BYTES } from '../src/storage/wal-record.js';

const base = {
  id: 'n1',
  members: { n1: 'ws://127.0.0.1:1', n2: 'ws://127.0.0.1:2' },
  insecure: true,
} as const;

describe('derived size limits', () => {
  it.each([64 * 1024, 8 * 1024 * 1024, WAL_RECORD_PAYLOAD_BYTES_MAX])(
    'with maxFrameBytes %i the largest command fits one frame and one WAL record',
    (maxFrameBytes) => {
      const o = resolveClusterOptions({ ...base, maxFrameBytes });
      const entry = {
        type: 'command',
        term: 2 ** 40,
        index: 2 ** 50,
        data: new Uint8Array(o.commandBytesMax),
      } as const;
      expect(entryRecord(entry).length - RECORD_HEADER_BYTES).toBeLessThanOrEqual(
        WAL_RECORD_PAYLOAD_BYTES_MAX,
      );
      const append = {
        type: 'append',
        from: 'a'.repeat(64),
        to: 'b'.repeat(64),
        term: 2 ** 40,
        prevLogIndex: 2 ** 50 - 1,
        prevLogTerm: 2 ** 40,
        commit: 2 ** 50,
        entries: [entry],
      } as const;
      const limits = resolveMessageLimits({ bytesMax: o.maxFrameBytes });
      expect(encodeMessage(append, limits).length).toBeLessThanOrEqual(o.maxFrameBytes);
    },
  );

  it('refuses a frame limit whose commands could not be written to the log', () => {
    expect(() => resolveClusterOptions({ ...base, maxFrameBytes: WAL_RECORD_PAYLOAD_BYTES_MAX + 1 })).toThrow(
      expect.objectContaining({ code: 'BATON_CONFIG', field: 'maxFrameBytes' }),
    );
  });

  it('every accepted timing’s leader lease ends, in real time, before a follower that acknowledged its round may vote (§2.1)', () => {
    let checked = 0;
    for (const heartbeatMs of [10, 13, 50, 100, 250])
      for (const factor of [4, 10])
        for (const driftBound of [0, 0.05, 0.2]) {
          const electionTimeoutMs = [factor * heartbeatMs, 2 * factor * heartbeatMs] as const;
          let o: ReturnType<typeof resolveClusterOptions>;
          try {
            o = resolveClusterOptions({ ...base, heartbeatMs, electionTimeoutMs, driftBound });
          } catch {
            continue; // refused timings are the test above's
          }
          // The leader's clock at 1 − δ stretches its lease; the follower's at 1 + δ shortens its
          // refusal of votes: electionTicks of its ticks, the first of which may come at once.
          const leaseRealMs = o.leaseMs / (1 - driftBound);
          const refusalRealMs = ((o.electionTicks - 1) * o.tickMs) / (1 + driftBound);
          expect(leaseRealMs).toBeLessThanOrEqual(refusalRealMs * (1 + 1e-12));
          // …and the electionTicks the raft core refuses votes for are the ones the timing asked for.
          expect(o.electionTicks * o.tickMs).toBeLessThanOrEqual(electionTimeoutMs[0]);
          checked++;
        }
    expect(checked).toBeGreaterThan(10);
  });

  it('every accepted timing keeps a lease of at least two heartbeat rounds as actually sent', () => {
    let accepted = 0;
    let refused = 0;
    for (const heartbeatMs of [1, 3, 8, 10, 13, 50, 100, 250])
      for (const factor of [3, 4, 10])
        for (const driftBound of [0, 0.05, 0.2, 0.4]) {
          const electionTimeoutMs = [factor * heartbeatMs, 2 * factor * heartbeatMs] as const;
          try {
            const o = resolveClusterOptions({ ...base, heartbeatMs, electionTimeoutMs, driftBound });
            expect(o.leaseMs).toBeGreaterThanOrEqual(2 * o.heartbeatTicks * o.tickMs);
            accepted++;
          } catch (error) {
            const field = driftBound > 0.05 ? 'driftBound' : 'electionTimeoutMs';
            expect(error).toMatchObject({ code: 'BATON_CONFIG', field });
            refused++;
          }
        }
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The defaults are accepted with a lease of more than four heartbeats.
    expect(resolveClusterOptions(base).leaseMs).toBeGreaterThan(200);
    // Sub-tick heartbeats: rounds go out every 5 ms whatever heartbeatMs says.
    expect(() => resolveClusterOptions({ ...base, heartbeatMs: 1, electionTimeoutMs: [3, 6] })).toThrow(
      expect.objectContaining({ field: 'electionTimeoutMs' }),
    );
  });
});
