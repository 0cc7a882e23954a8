import { describe, expect, it } from 'vitest';
import { SendQueue } from '../../src/transport/send-queue.js';

function frame(bytes: number, fill = 0): Uint8Array {
  return new Uint8Array(bytes).fill(fill);
}

describe('SendQueue', () => {
  it('is FIFO', () => {
    const queue = new SendQueue({ messagesMax: 10, bytesMax: 100 });
    for (const fill of [1, 2, 3]) queue.push(frame(1, fill));
    expect([queue.shift()?.[0], queue.shift()?.[0], queue.shift()?.[0], queue.shift()]).toEqual([
      1,
      2,
      3,
      undefined,
    ]);
  });

  it('refuses past the message bound and counts refusals', () => {
    const queue = new SendQueue({ messagesMax: 2, bytesMax: 1000 });
    expect([queue.push(frame(1)), queue.push(frame(1)), queue.push(frame(1))]).toEqual([true, true, false]);
    expect(queue.length).toBe(2);
    expect(queue.refusedCount).toBe(1);
  });

  it('refuses past the byte bound, yet takes a smaller frame that fits', () => {
    const queue = new SendQueue({ messagesMax: 100, bytesMax: 10 });
    expect(queue.push(frame(8))).toBe(true);
    expect(queue.push(frame(3))).toBe(false);
    expect(queue.push(frame(2))).toBe(true);
    expect(queue.byteLength).toBe(10);
    expect(queue.refusedCount).toBe(1);
  });

  it('frees room as frames leave', () => {
    const queue = new SendQueue({ messagesMax: 1, bytesMax: 10 });
    queue.push(frame(10));
    expect(queue.push(frame(1))).toBe(false);
    queue.shift();
    expect(queue.byteLength).toBe(0);
    expect(queue.push(frame(1))).toBe(true);
  });

  it('stays FIFO and accurate across many pushes and shifts', () => {
    const queue = new SendQueue({ messagesMax: 3000, bytesMax: 1_000_000 });
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) queue.push(frame(1, next++ % 256));
      for (let i = 0; i < 90; i++) expect(queue.shift()?.[0]).toBe(expected++ % 256);
    }
    expect(queue.length).toBe(500);
    expect(queue.byteLength).toBe(500);
  });

  it('keepOwnCopies gives each queued view a buffer of its own, same bytes and order, and leaves owners as they are', () => {
    const slab = new Uint8Array(64).map((_, i) => i);
    const owner = frame(3, 9);
    const queue = new SendQueue({ messagesMax: 10, bytesMax: 100 });
    queue.push(slab.subarray(0, 4));
    queue.push(owner);
    queue.push(slab.subarray(10, 12));
    queue.shift(); // consumed frames are not touched
    queue.keepOwnCopies();
    expect(queue.byteLength).toBe(5);
    const [a, b] = [queue.shift()!, queue.shift()!];
    expect(a).toBe(owner);
    expect(Array.from(b)).toEqual([10, 11]);
    expect(b.buffer.byteLength).toBe(2);
    slab.fill(0); // the slab may be reused: the copy does not change
    expect(Array.from(b)).toEqual([10, 11]);
  });

  it('keepOwnCopies also copies frames queued after an earlier call, across the queue compacting itself', () => {
    const slab = new Uint8Array(8);
    const queue = new SendQueue({ messagesMax: 5000, bytesMax: 10_000 });
    for (let i = 0; i < 3000; i++) queue.push(slab.subarray(0, 1));
    queue.keepOwnCopies();
    for (let i = 0; i < 2000; i++) queue.shift(); // compacts past 1024 consumed frames
    queue.push(slab.subarray(1, 2));
    queue.keepOwnCopies();
    const left: Uint8Array[] = [];
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) left.push(f);
    expect(left).toHaveLength(1001);
    expect(left.every((f) => f.buffer.byteLength === f.byteLength)).toBe(true);
  });

  it('clear drops everything and reports how much', () => {
    const queue = new SendQueue({ messagesMax: 10, bytesMax: 100 });
    queue.push(frame(5));
    queue.push(frame(5));
    expect(queue.clear()).toBe(2);
    expect([queue.length, queue.byteLength, queue.shift()]).toEqual([0, 0, undefined]);
  });
});
