import { describe, expect, it } from 'vitest';
import { addressGroup, hostOf, PendingHandshakes } from '../../src/transport/pending-handshakes.js';

function entry(socket: string, host: string, group = host) {
  return { socket, host, group, remote: `${host}:${socket}`, since: 0 };
}

describe('PendingHandshakes', () => {
  it('drops nothing until it is full', () => {
    const pending = new PendingHandshakes<string>(3);
    expect(pending.add(entry('a', 'h1'))).toBeUndefined();
    expect(pending.add(entry('b', 'h1'))).toBeUndefined();
    expect(pending.add(entry('c', 'h2'))).toBeUndefined();
    expect(pending.size).toBe(3);
  });

  it('when full, drops the oldest of the address holding the most, not the oldest overall', () => {
    const pending = new PendingHandshakes<string>(3);
    pending.add(entry('peer', 'h1'));
    pending.add(entry('x1', 'h2'));
    pending.add(entry('x2', 'h2'));
    expect(pending.add(entry('x3', 'h2'))?.socket).toBe('x1');
    expect(pending.add(entry('x4', 'h2'))?.socket).toBe('x2');
    expect(pending.size).toBe(3);
  });

  it("counts the newcomer's own address: a third address is not preferred over a crowded one", () => {
    const pending = new PendingHandshakes<string>(3);
    pending.add(entry('a', 'h1'));
    pending.add(entry('b', 'h2'));
    pending.add(entry('c', 'h2'));
    // h1 and h2 are tied only if the newcomer from h1 counts: then the older address (h1) loses.
    expect(pending.add(entry('d', 'h1'))?.socket).toBe('a');
  });

  it('within the heaviest group, drops from the heaviest address: a peer in the same /64 is told apart', () => {
    const pending = new PendingHandshakes<string>(3);
    pending.add(entry('peer', 'a::1', 'a::/64'));
    pending.add(entry('x1', 'a::66', 'a::/64'));
    pending.add(entry('x2', 'a::66', 'a::/64'));
    expect(pending.add(entry('x3', 'a::66', 'a::/64'))?.socket).toBe('x1');
    expect(pending.add(entry('x4', 'a::66', 'a::/64'))?.socket).toBe('x2');
  });

  it('addresses cycled through one /64 count as one group against a peer elsewhere', () => {
    const pending = new PendingHandshakes<string>(3);
    pending.add(entry('peer', '10.0.0.1'));
    pending.add(entry('x1', 'b::1', 'b::/64'));
    pending.add(entry('x2', 'b::2', 'b::/64'));
    expect(pending.add(entry('x3', 'b::3', 'b::/64'))?.socket).toBe('x1');
  });

  it('on a tie the address holding the oldest entry loses', () => {
    const pending = new PendingHandshakes<string>(2);
    pending.add(entry('a', 'h1'));
    pending.add(entry('b', 'h2'));
    expect(pending.add(entry('c', 'h3'))?.socket).toBe('a');
    expect(pending.add(entry('d', 'h4'))?.socket).toBe('b');
  });

  it('a deleted entry frees its slot, and deleting an unknown one does nothing', () => {
    const pending = new PendingHandshakes<string>(2);
    pending.add(entry('a', 'h1'));
    pending.add(entry('b', 'h1'));
    pending.delete('a');
    pending.delete('zzz');
    expect(pending.size).toBe(1);
    expect(pending.add(entry('c', 'h1'))).toBeUndefined();
  });
});

describe('addressGroup', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:127.0.0.2', '127.0.0.2'],
    ['::FFFF:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::7', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff:0:0:1', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['?', '?'],
  ])('%s counts as %s', (address, group) => {
    expect(addressGroup(address)).toBe(group);
  });
});

describe('hostOf', () => {
  it('writes an IPv4-mapped address as IPv4 and leaves others alone', () => {
    expect([hostOf('::ffff:127.0.0.2'), hostOf('127.0.0.1'), hostOf('2001:db8::1')]).toEqual([
      '127.0.0.2',
      '127.0.0.1',
      '2001:db8::1',
    ]);
  });
});
