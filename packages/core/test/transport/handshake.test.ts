import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HANDSHAKE_FRAME_BYTES_MAX,
  Handshake,
  type HandshakeParams,
  type HandshakeStep,
  handshakeProof,
} from '../../src/transport/handshake.js';

const SECRET = new TextEncoder().encode('correct horse battery staple');
const OTHER_SECRET = new TextEncoder().encode('a different secret entirely');

function nonce(fill?: number): Uint8Array {
  return fill === undefined ? new Uint8Array(randomBytes(32)) : new Uint8Array(32).fill(fill);
}

function dialer(overrides: Partial<HandshakeParams> = {}): Handshake {
  return new Handshake({
    role: 'dialer',
    ownId: 'n1',
    expectedPeerId: 'n2',
    secret: SECRET,
    clusterId: 'c',
    nonce: nonce(),
    ...overrides,
  });
}

function acceptor(overrides: Partial<HandshakeParams> = {}): Handshake {
  return new Handshake({
    role: 'acceptor',
    ownId: 'n2',
    expectedPeerId: undefined,
    secret: SECRET,
    clusterId: 'c',
    nonce: nonce(),
    ...overrides,
  });
}

interface Run {
  dialer: HandshakeStep | undefined;
  acceptor: HandshakeStep | undefined;
  /** Every frame each side sent, in order. */
  sentByDialer: string[];
  sentByAcceptor: string[];
}

/** Runs both sides against each other over a perfect in-memory pipe until neither has anything to say. */
function run(d: Handshake, a: Handshake): Run {
  const result: Run = { dialer: undefined, acceptor: undefined, sentByDialer: [], sentByAcceptor: [] };
  const toDialer = [...a.start()];
  const toAcceptor = [...d.start()];
  result.sentByAcceptor.push(...toDialer);
  result.sentByDialer.push(...toAcceptor);
  for (let rounds = 0; rounds < 10 && (toDialer.length > 0 || toAcceptor.length > 0); rounds++) {
    const forDialer = toDialer.splice(0);
    for (const frame of forDialer) {
      if (result.dialer?.status === 'failed') break;
      result.dialer = d.receive(frame);
      toAcceptor.push(...result.dialer.send);
      result.sentByDialer.push(...result.dialer.send);
    }
    const forAcceptor = toAcceptor.splice(0);
    for (const frame of forAcceptor) {
      if (result.acceptor?.status === 'failed') break;
      result.acceptor = a.receive(frame);
      toDialer.push(...result.acceptor.send);
      result.sentByAcceptor.push(...result.acceptor.send);
    }
  }
  return result;
}

function hello(fields: Record<string, unknown>): string {
  return JSON.stringify({ t: 'hello', v: 1, auth: 'hmac-sha256', ...fields });
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function proofFrame(mac: Uint8Array): string {
  return JSON.stringify({ t: 'proof', mac: b64(mac) });
}

function helloNonce(frame: string): Uint8Array {
  return new Uint8Array(Buffer.from((JSON.parse(frame) as { nonce: string }).nonce, 'base64'));
}

function macOf(frame: string): Uint8Array {
  return new Uint8Array(Buffer.from((JSON.parse(frame) as { mac: string }).mac, 'base64'));
}

describe('Handshake with a shared secret', () => {
  it('completes both ways and tells each side who the other is', () => {
    const r = run(dialer(), acceptor());
    expect(r.dialer).toMatchObject({ status: 'done', peerId: 'n2' });
    expect(r.acceptor).toMatchObject({ status: 'done', peerId: 'n1' });
  });

  it('never puts the secret on the wire', () => {
    const r = run(dialer(), acceptor());
    const wire = Buffer.from([...r.sentByDialer, ...r.sentByAcceptor].join('\n'));
    expect(wire.includes(Buffer.from(SECRET))).toBe(false);
    expect(wire.includes(Buffer.from(SECRET).toString('base64'))).toBe(false);
  });

  it('refuses a dialer with the wrong secret, and the acceptor reveals no MAC to it', () => {
    const r = run(dialer({ secret: OTHER_SECRET }), acceptor());
    expect(r.acceptor).toMatchObject({ status: 'failed', reason: 'bad-proof' });
    expect(r.sentByAcceptor.some((frame) => frame.includes('"proof"'))).toBe(false);
  });

  it('lets the dialer refuse an impostor acceptor that knows another secret', () => {
    const d = dialer();
    const [dialerHello] = d.start();
    const impostorNonce = nonce();
    expect(d.receive(hello({ id: 'n2', nonce: b64(impostorNonce) })).status).toBe('pending');
    // A well-formed acceptor proof over the right fields, keyed with the wrong secret.
    const mac = handshakeProof(OTHER_SECRET, {
      role: 'acceptor',
      clusterId: 'c',
      proverId: 'n2',
      verifierId: 'n1',
      verifierNonce: helloNonce(dialerHello!),
      proverNonce: impostorNonce,
    });
    expect(d.receive(proofFrame(mac))).toMatchObject({ status: 'failed', reason: 'bad-proof' });
  });

  it('lets the dialer refuse a forged acceptor proof', () => {
    const d = dialer();
    d.start();
    const step = d.receive(hello({ id: 'n2', nonce: b64(nonce()) }));
    expect(step.status).toBe('pending');
    expect(d.receive(proofFrame(nonce(7)))).toMatchObject({ status: 'failed', reason: 'bad-proof' });
  });

  it('refuses a proof replayed from an earlier connection', () => {
    // Record an honest dialer's hello and proof on connection 1.
    const first = run(dialer(), acceptor());
    expect(first.acceptor?.status).toBe('done');
    const [recordedHello, recordedProof] = first.sentByDialer;
    // Connection 2: the attacker replays both; the acceptor's fresh nonce makes the old MAC worthless.
    const a = acceptor();
    a.start();
    expect(a.receive(recordedHello!).status).toBe('pending');
    expect(a.receive(recordedProof!)).toMatchObject({ status: 'failed', reason: 'bad-proof' });
  });

  it("refuses the dialer's own proof reflected back as the acceptor's", () => {
    const d = dialer();
    const [dialerHello] = d.start();
    const attackerNonce = nonce();
    const step = d.receive(hello({ id: 'n2', nonce: b64(attackerNonce) }));
    const [dialerProof] = step.send;
    expect(helloNonce(dialerHello!)).not.toEqual(attackerNonce);
    expect(d.receive(dialerProof!)).toMatchObject({ status: 'failed', reason: 'bad-proof' });
  });

  it("refuses a hello that echoes this side's own nonce", () => {
    const d = dialer();
    const [dialerHello] = d.start();
    const echoed = hello({ id: 'n2', nonce: b64(helloNonce(dialerHello!)) });
    expect(d.receive(echoed)).toMatchObject({ status: 'failed', reason: 'nonce-reflected' });
  });

  it('refuses a dialer proof harvested from another connection and replayed to the acceptor', () => {
    // The attacker poses as n2 to the honest dialer n1 and harvests MAC(dialer, n1, n2, ...).
    const honest = dialer();
    honest.start();
    const harvested = honest.receive(hello({ id: 'n2', nonce: b64(nonce()) })).send[0]!;
    // Then it dials the real acceptor n2 claiming to be n1 and offers the harvested MAC.
    const a = acceptor();
    a.start();
    expect(a.receive(hello({ id: 'n1', nonce: b64(nonce()) })).status).toBe('pending');
    expect(a.receive(harvested)).toMatchObject({ status: 'failed', reason: 'bad-proof' });
  });

  it('refuses a peer of another cluster that shares the secret', () => {
    const r = run(dialer(), acceptor({ clusterId: 'other' }));
    expect(r.acceptor).toMatchObject({ status: 'failed', reason: 'bad-proof' });
  });

  it('lets the dialer refuse an acceptor that is not the member it dialled', () => {
    const r = run(dialer({ expectedPeerId: 'n3' }), acceptor());
    expect(r.dialer).toMatchObject({ status: 'failed', reason: 'unexpected-peer' });
  });

  it('refuses a peer claiming our own id', () => {
    const r = run(dialer({ ownId: 'n2' }), acceptor());
    expect(r.acceptor).toMatchObject({ status: 'failed', reason: 'self' });
  });

  it('refuses an id the acceptor does not know at its hello, before any proof, and names it', () => {
    const a = acceptor({ isKnownPeer: (id) => id === 'n3' });
    const r = run(dialer({ ownId: 'n9' }), a);
    expect(r.acceptor).toMatchObject({ status: 'failed', reason: 'unknown-peer' });
    // The dialer's proof never reached a verdict, and the acceptor sent nothing but its hello.
    expect(r.sentByAcceptor.map((f) => JSON.parse(f).t)).toEqual(['hello']);
    expect(a.claimedPeerId).toBe('n9');
    expect(
      run(dialer({ ownId: 'n3' }), acceptor({ isKnownPeer: (id) => id === 'n3' })).acceptor,
    ).toMatchObject({
      status: 'done',
      peerId: 'n3',
    });
  });
});

describe('Handshake in insecure mode', () => {
  it('exchanges and checks ids without proofs', () => {
    const r = run(dialer({ secret: undefined }), acceptor({ secret: undefined }));
    expect(r.dialer).toMatchObject({ status: 'done', peerId: 'n2' });
    expect(r.acceptor).toMatchObject({ status: 'done', peerId: 'n1' });
    expect([...r.sentByDialer, ...r.sentByAcceptor].some((f) => f.includes('"proof"'))).toBe(false);
  });

  it('still refuses the wrong peer id', () => {
    const r = run(dialer({ secret: undefined, expectedPeerId: 'n9' }), acceptor({ secret: undefined }));
    expect(r.dialer).toMatchObject({ status: 'failed', reason: 'unexpected-peer' });
  });

  it('and a secure member refuse each other', () => {
    expect(run(dialer({ secret: undefined }), acceptor()).acceptor).toMatchObject({
      status: 'failed',
      reason: 'mode-mismatch',
    });
    expect(run(dialer(), acceptor({ secret: undefined })).dialer).toMatchObject({
      status: 'failed',
      reason: 'mode-mismatch',
    });
  });
});

describe('Handshake frame parsing', () => {
  const cases: [string, string, string][] = [
    ['not JSON', '{nope', 'malformed'],
    ['an array', '[]', 'malformed'],
    ['a proof before the hello', proofFrame(nonce()), 'unexpected-frame'],
    ['another version', hello({ v: 2, id: 'n1', nonce: b64(nonce()) }), 'version'],
    ['no id', hello({ nonce: b64(nonce()) }), 'malformed'],
    ['an empty id', hello({ id: '', nonce: b64(nonce()) }), 'malformed'],
    ['an id too long', hello({ id: 'x'.repeat(256), nonce: b64(nonce()) }), 'malformed'],
    ['a short nonce', hello({ id: 'n1', nonce: b64(new Uint8Array(16)) }), 'malformed'],
    ['a non-canonical nonce', hello({ id: 'n1', nonce: `${b64(nonce())}==` }), 'malformed'],
    ['an unknown auth', hello({ id: 'n1', auth: 'rot13', nonce: b64(nonce()) }), 'malformed'],
    [
      'an oversized frame',
      hello({ id: 'n1', nonce: b64(nonce()), pad: 'x'.repeat(HANDSHAKE_FRAME_BYTES_MAX) }),
      'malformed',
    ],
  ];
  for (const [name, frame, reason] of cases) {
    it(`fails on ${name}`, () => {
      const a = acceptor();
      a.start();
      expect(a.receive(frame)).toMatchObject({ status: 'failed', reason });
    });
  }

  it('fails on a malformed proof', () => {
    const a = acceptor();
    a.start();
    a.receive(hello({ id: 'n1', nonce: b64(nonce()) }));
    expect(a.receive(JSON.stringify({ t: 'proof', mac: 'short' }))).toMatchObject({
      status: 'failed',
      reason: 'malformed',
    });
  });

  it('fails on any frame after it finished', () => {
    const d = dialer({ secret: undefined });
    const a = acceptor({ secret: undefined });
    run(d, a);
    expect(a.receive(hello({ id: 'n1', nonce: b64(nonce()), auth: 'none' }))).toMatchObject({
      status: 'failed',
      reason: 'unexpected-frame',
    });
  });

  it('insists on a nonce of the right size', () => {
    expect(() => dialer({ nonce: new Uint8Array(8) })).toThrow(RangeError);
  });
});

describe('handshakeProof', () => {
  const base = {
    role: 'dialer' as const,
    clusterId: 'c',
    proverId: 'ab',
    verifierId: 'c',
    verifierNonce: nonce(1),
    proverNonce: nonce(2),
  };

  it('is deterministic and 32 bytes', () => {
    expect(handshakeProof(SECRET, base)).toEqual(handshakeProof(SECRET, base));
    expect(handshakeProof(SECRET, base).byteLength).toBe(32);
  });

  it('binds every field, with boundaries that cannot be shifted', () => {
    const mac = b64(handshakeProof(SECRET, base));
    const variants = [
      { ...base, role: 'acceptor' as const },
      { ...base, clusterId: 'd' },
      { ...base, proverId: 'a', verifierId: 'bc' },
      { ...base, verifierNonce: nonce(2), proverNonce: nonce(1) },
    ];
    for (const variant of variants) expect(b64(handshakeProof(SECRET, variant))).not.toBe(mac);
    expect(b64(handshakeProof(OTHER_SECRET, base))).not.toBe(mac);
  });

  it('is what an honest dialer sends', () => {
    const d = dialer({ nonce: nonce(3) });
    d.start();
    const acceptorNonce = nonce(4);
    const [frame] = d.receive(hello({ id: 'n2', nonce: b64(acceptorNonce) })).send;
    const expected = handshakeProof(SECRET, {
      role: 'dialer',
      clusterId: 'c',
      proverId: 'n1',
      verifierId: 'n2',
      verifierNonce: acceptorNonce,
      proverNonce: nonce(3),
    });
    expect(macOf(frame!)).toEqual(expected);
  });
});
