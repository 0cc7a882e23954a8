import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/env.js';
import { silentLogger } from '../../src/env.js';
import { BatonError } from '../../src/errors.js';
import type { PeerMessage } from '../../src/peer-message.js';
import { Forwarder } from '../../src/runtime/forwarder.js';
import type { NodeLoop } from '../../src/runtime/node-loop.js';
import { decodeEnvelope } from '../../src/state/command-envelope.js';
import type { AppliedOutcome } from '../../src/state/sessioned-apply.js';
import { manualTime } from '../support/manual-time.js';

/** Just the part of NodeLoop the Forwarder uses, driven by hand. */
class StubLoop {
  readonly id = 'me';
  leaderId: string | undefined;
  readonly applyWaits: {
    index: number;
    term: number;
    reject(e: unknown): void;
    resolve(v: AppliedOutcome): void;
    cancelled: boolean;
  }[] = [];
  status() {
    return { leaderId: this.leaderId, term: 3 };
  }
  awaitApplied(index: number, term: number): { promise: Promise<AppliedOutcome>; cancel(): void } {
    let wait: StubLoop['applyWaits'][number] | undefined;
    const promise = new Promise<AppliedOutcome>((resolve, reject) => {
      wait = { index, term, resolve, reject, cancelled: false };
      this.applyWaits.push(wait);
    });
    return { promise, cancel: () => (wait!.cancelled = true) };
  }
  /** The stub's command limit is 100 bytes. */
  checkCommandSize(data: Uint8Array, overheadBytes = 0): void {
    if (data.byteLength + overheadBytes > 100) throw new BatonError('BATON_TOO_LARGE', 'over 100 bytes');
  }
  append(): never {
    throw new BatonError('BATON_NOT_LEADER', 'stub never leads');
  }
  read(): { promise: Promise<number>; cancel(): void } {
    return { promise: new Promise(() => {}), cancel: () => {} };
  }
}

/** An env whose timers never fire: a call that settles did so without waiting for a timeout. */
const frozenEnv: Env = {
  clock: { now: () => 0 },
  timers: { setTimeout: () => ({ cancel: () => {} }) },
  random: () => 0.5,
  newId: (() => {
    let n = 0;
    return () => `req-${n++}`;
  })(),
};

function setUp(env: Env = frozenEnv) {
  const loop = new StubLoop();
  const sent: PeerMessage[] = [];
  /** Whether the link to the leader takes messages; false: they are dropped, and send says so. */
  const link = { up: true };
  const forwarder = new Forwarder({
    loop: loop as unknown as NodeLoop,
    env,
    send: (m) => link.up && sent.push(m) > 0,
    logger: silentLogger,
    answerTimeoutMs: 1000,
    pendingMax: 16,
    readRetryMs: 300,
    unsentRetryMs: 50,
  });
  return { loop, sent, link, forwarder };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

function outcomeOf(p: Promise<unknown>): { value: string } {
  const o = { value: 'pending' };
  p.then(
    () => (o.value = 'resolved'),
    (e: { code?: string }) => (o.value = e.code ?? 'rejected'),
  );
  return o;
}

/** The leader's answer to the forward `m`: appended at `index` in term 3. */
function answer(forwarder: Forwarder, m: PeerMessage | undefined, index: number): void {
  if (m?.type !== 'forward') throw new Error(`expected a forward, got ${m?.type}`);
  forwarder.onMessage({
    type: 'forwardResp',
    from: m.to,
    to: 'me',
    term: 3,
    requestId: m.requestId,
    index,
    entryTerm: 3,
    errorCode: '',
  });
}

/** What a forwarded message carries: its envelope's kind, session and seq. */
function carried(m: PeerMessage | undefined): string {
  if (m?.type !== 'forward') return `not a forward: ${m?.type}`;
  const e = decodeEnvelope(m.data);
  return e.kind === 'session' ? `session ${e.session} seq ${e.seq}` : e.kind;
}

/** Answers the first forward (the session's register entry) and applies it as session `session`. */
async function openSession(loop: StubLoop, sent: PeerMessage[], forwarder: Forwarder, session = 1) {
  await settle();
  expect(carried(sent[0])).toBe('register');
  answer(forwarder, sent[0], session);
  await settle();
  loop.applyWaits.shift()!.resolve({ kind: 'registered', session });
  await settle();
}

describe('Forwarder', () => {
  it('opens a client session once, then numbers its commands in it', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const first = forwarder.submit(Uint8Array.of(7), { timeoutMs: 3000 });
    const second = forwarder.submit(Uint8Array.of(8), { timeoutMs: 3000 });
    await openSession(loop, sent, forwarder, 4);
    expect(sent.slice(1).map(carried)).toEqual(['session 4 seq 1', 'session 4 seq 2']);
    answer(forwarder, sent[1], 5);
    answer(forwarder, sent[2], 6);
    await settle();
    loop.applyWaits[0]!.resolve({ kind: 'ok', result: 'a' });
    loop.applyWaits[1]!.resolve({ kind: 'ok', result: 'b' });
    await expect(first).resolves.toEqual({ index: 5, result: 'a' });
    await expect(second).resolves.toEqual({ index: 6, result: 'b' });
  });

  it('retries at once through the new leader when its entry was replaced by that leader, with the same seq', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const outcome = outcomeOf(forwarder.submit(Uint8Array.of(7), { timeoutMs: 3000 }));
    await openSession(loop, sent, forwarder);
    answer(forwarder, sent[1], 5);
    await settle();
    expect(loop.applyWaits).toHaveLength(1);
    // This member hears of n2 first, then applies n2's entry at index 5: NOT_LEADER comes after the change.
    loop.leaderId = 'n2';
    forwarder.onLeaderChange();
    loop.applyWaits[0]!.reject(new BatonError('BATON_NOT_LEADER', 'entry 5 replaced'));
    await settle();
    expect(sent.map((m) => m.type === 'forward' && m.to)).toEqual(['n1', 'n1', 'n2']);
    expect(sent.slice(1).map(carried)).toEqual(['session 1 seq 1', 'session 1 seq 1']);
    expect(outcome.value).toBe('pending');
  });

  it('sends a command again, with the same seq, when the leader does not answer in time', async () => {
    const time = manualTime();
    const { loop, sent, forwarder } = setUp({ ...frozenEnv, clock: time.clock, timers: time.timers });
    loop.leaderId = 'n1';
    const call = forwarder.submit(Uint8Array.of(7), { timeoutMs: 5000 });
    await openSession(loop, sent, forwarder);
    expect(sent).toHaveLength(2);
    time.advance(1000); // answerTimeoutMs: the request or its answer is lost
    await settle();
    time.advance(50);
    await settle();
    expect(sent.slice(1).map(carried)).toEqual(['session 1 seq 1', 'session 1 seq 1']);
    // The copy is answered; the cluster applied the command once and answers every copy with that result.
    answer(forwarder, sent[2], 9);
    await settle();
    loop.applyWaits[0]!.resolve({ kind: 'ok', result: 'first result' });
    await expect(call).resolves.toEqual({ index: 9, result: 'first result' });
  });

  it('a session the cluster forgot: the one copy sent was not applied, so it opens another and sends again', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const call = forwarder.submit(Uint8Array.of(7), { timeoutMs: 3000 });
    await openSession(loop, sent, forwarder, 1);
    answer(forwarder, sent[1], 5);
    await settle();
    loop.applyWaits.shift()!.resolve({ kind: 'expired' });
    await settle();
    expect(carried(sent[2])).toBe('register');
    answer(forwarder, sent[2], 6);
    await settle();
    loop.applyWaits.shift()!.resolve({ kind: 'registered', session: 6 });
    await settle();
    expect(carried(sent[3])).toBe('session 6 seq 1');
    answer(forwarder, sent[3], 7);
    await settle();
    loop.applyWaits.shift()!.resolve({ kind: 'ok', result: 'done' });
    await expect(call).resolves.toEqual({ index: 7, result: 'done' });
  });

  it('a session the cluster forgot after two copies were sent: the outcome is unknown, never sent again', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const call = outcomeOf(forwarder.submit(Uint8Array.of(7), { timeoutMs: 3000 }));
    await openSession(loop, sent, forwarder, 1);
    answer(forwarder, sent[1], 5);
    await settle();
    loop.leaderId = 'n2';
    forwarder.onLeaderChange();
    loop.applyWaits.shift()!.reject(new BatonError('BATON_NOT_LEADER', 'entry 5 replaced'));
    await settle();
    answer(forwarder, sent[2], 6);
    await settle();
    // The first copy may have been applied elsewhere before the session was forgotten.
    loop.applyWaits.shift()!.resolve({ kind: 'expired' });
    await settle();
    expect(call.value).toBe('BATON_UNAVAILABLE');
    expect(sent).toHaveLength(3);
  });

  it('a call given up in doubt is abandoned: if it had been applied after all, its result reaches onLateResult', async () => {
    const time = manualTime();
    const { loop, sent, forwarder } = setUp({ ...frozenEnv, clock: time.clock, timers: time.timers });
    loop.leaderId = 'n1';
    const late: unknown[] = [];
    const controller = new AbortController();
    const call = outcomeOf(
      forwarder.submit(Uint8Array.of(7), {
        timeoutMs: 3000,
        signal: controller.signal,
        onLateResult: (r) => late.push(r),
      }),
    );
    await openSession(loop, sent, forwarder);
    expect(carried(sent[1])).toBe('session 1 seq 1');
    controller.abort(); // before any answer: the copy may be in the leader's log
    await settle();
    expect(call.value).toBe('BATON_ABORTED');
    expect(carried(sent[2])).toBe('abandon');
    // While the abandon is under way, seq 1 stays above the floor of later commands.
    void forwarder.submit(Uint8Array.of(8), { timeoutMs: 3000 });
    await settle();
    const next = sent[3];
    if (next?.type !== 'forward') throw new Error('expected the next command');
    expect(decodeEnvelope(next.data)).toMatchObject({ kind: 'session', seq: 2, floor: 1 });
    answer(forwarder, sent[2], 9);
    await settle();
    loop.applyWaits.shift()!.resolve({ kind: 'executed', result: { type: 'queued', waiterId: 5 } });
    await settle();
    expect(late).toEqual([{ type: 'queued', waiterId: 5 }]);
  });

  it('a shared session registration survives the first caller giving up', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const controller = new AbortController();
    const first = outcomeOf(
      forwarder.submit(Uint8Array.of(1), { timeoutMs: 3000, signal: controller.signal }),
    );
    const second = outcomeOf(forwarder.submit(Uint8Array.of(2), { timeoutMs: 3000 }));
    await settle();
    controller.abort();
    await settle();
    expect(first.value).toBe('BATON_ABORTED');
    await openSession(loop, sent, forwarder, 4);
    expect(second.value).toBe('pending');
    expect(sent.slice(1).map(carried)).toEqual(['session 4 seq 1']);
  });

  it('a registration that failed by its own deadline is tried again within the caller’s', async () => {
    // The runtime simulator's seed 0x64 with 3 members: an acquire failed 100 ms into its 3 s waitMs.
    const time = manualTime();
    const { loop, sent, forwarder } = setUp({ ...frozenEnv, clock: time.clock, timers: time.timers });
    loop.leaderId = 'n1';
    const call = outcomeOf(forwarder.submit(Uint8Array.of(7), { timeoutMs: 5000 }));
    await settle();
    time.advance(1000); // answerTimeoutMs: the registration's own deadline
    await settle();
    time.advance(50);
    await settle();
    expect(call.value).toBe('pending');
    expect(sent.map(carried)).toEqual(['register', 'register']);
    await openSession(loop, sent.slice(1), forwarder);
    expect(sent.slice(2).map(carried)).toEqual(['session 1 seq 1']);
  });

  it('an aborted call withdraws its wait for the entry at once', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const controller = new AbortController();
    const call = outcomeOf(
      forwarder.submit(Uint8Array.of(7), { timeoutMs: 3000, signal: controller.signal }),
    );
    await openSession(loop, sent, forwarder);
    answer(forwarder, sent[1], 5);
    await settle();
    expect(loop.applyWaits.map((w) => w.cancelled)).toEqual([false]);
    controller.abort();
    await settle();
    expect(call.value).toBe('BATON_ABORTED');
    expect(loop.applyWaits.map((w) => w.cancelled)).toEqual([true]);
  });

  it('asks again for a read that was not confirmed in one attempt (its request or answer was lost)', async () => {
    const time = manualTime();
    const env: Env = { ...frozenEnv, clock: time.clock, timers: time.timers };
    const attempts: number[] = [];
    const loop = {
      id: 'me',
      status: () => ({ leaderId: 'n1', term: 3 }),
      // The first attempt is lost: it fails only at its own timeout. The second is confirmed.
      read: (timeoutMs: number) => {
        attempts.push(timeoutMs);
        if (attempts.length > 1) return { promise: Promise.resolve(42), cancel: () => {} };
        const promise = new Promise<number>((_, reject) =>
          env.timers.setTimeout(
            () => reject(new BatonError('BATON_UNAVAILABLE', 'not confirmed')),
            timeoutMs,
          ),
        );
        return { promise, cancel: () => {} };
      },
    };
    const forwarder = new Forwarder({
      loop: loop as unknown as NodeLoop,
      env,
      send: () => true,
      logger: silentLogger,
      answerTimeoutMs: 1000,
      pendingMax: 16,
      readRetryMs: 300,
      unsentRetryMs: 50,
    });
    const read = forwarder.read({ timeoutMs: 5000 });
    await settle();
    time.advance(300);
    await expect(read).resolves.toBe(42);
    expect(attempts).toEqual([300, 300]);
  });

  it('a call waiting for a leader fails with BATON_STOPPED as soon as the member stops', async () => {
    const { forwarder } = setUp();
    const proposal = outcomeOf(forwarder.submit(Uint8Array.of(1), { timeoutMs: 5000 }));
    const read = outcomeOf(forwarder.read({ timeoutMs: 5000 }));
    await settle();
    expect([proposal.value, read.value]).toEqual(['pending', 'pending']);
    forwarder.stop();
    await settle();
    expect([proposal.value, read.value]).toEqual(['BATON_STOPPED', 'BATON_STOPPED']);
  });

  it('a forwarded call waiting for its answer fails with BATON_STOPPED when the member stops', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    const proposal = outcomeOf(forwarder.submit(Uint8Array.of(1), { timeoutMs: 5000 }));
    await settle();
    expect(sent).toHaveLength(1);
    forwarder.stop();
    await settle();
    expect(proposal.value).toBe('BATON_STOPPED');
  });

  it('calls made after stop fail with BATON_STOPPED without sending anything', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    forwarder.stop();
    const proposal = outcomeOf(forwarder.submit(Uint8Array.of(1), { timeoutMs: 5000 }));
    const read = outcomeOf(forwarder.read({ timeoutMs: 5000 }));
    await settle();
    expect([proposal.value, read.value]).toEqual(['BATON_STOPPED', 'BATON_STOPPED']);
    expect(sent).toEqual([]);
  });

  it('a stopping leader answers forwarded commands with BATON_NOT_LEADER and appends nothing', async () => {
    const { loop, sent, forwarder } = setUp();
    const appended: Uint8Array[] = [];
    loop.append = ((data: Uint8Array) => {
      appended.push(data);
      return { index: 9, term: 3 };
    }) as unknown as StubLoop['append'];
    const request = { type: 'forward', from: 'n2', to: 'me', term: 3, data: Uint8Array.of(1) } as const;
    forwarder.onMessage({ ...request, requestId: 'before' });
    forwarder.stop();
    forwarder.onMessage({ ...request, requestId: 'after' });
    expect(appended).toHaveLength(1);
    expect(sent).toMatchObject([
      { type: 'forwardResp', requestId: 'before', index: 9, errorCode: '' },
      { type: 'forwardResp', requestId: 'after', index: 0, errorCode: 'BATON_NOT_LEADER' },
    ]);
  });

  it('sends a command again when its link to the leader was down, instead of waiting for an answer', async () => {
    const time = manualTime();
    const { loop, sent, link, forwarder } = setUp({ ...frozenEnv, clock: time.clock, timers: time.timers });
    loop.leaderId = 'n1';
    link.up = false;
    const outcome = outcomeOf(forwarder.submit(Uint8Array.of(7), { timeoutMs: 3000 }));
    await settle();
    time.advance(50);
    await settle();
    expect(sent).toEqual([]); // still down: nothing went out, and it keeps trying
    link.up = true;
    time.advance(50);
    await settle();
    expect(sent).toMatchObject([{ type: 'forward', to: 'n1' }]);
    expect(outcome.value).toBe('pending');
  });

  it('a call that saw no leader goes to one known later even if no leader change was reported', async () => {
    // A pre-vote that ended between two Readies: leader known, unknown, known again, and no soft state
    // change in between (the runtime simulator's seed 0x60 with 3 members waited out a 10 s deadline).
    const time = manualTime();
    const { loop, sent, forwarder } = setUp({ ...frozenEnv, clock: time.clock, timers: time.timers });
    const outcome = outcomeOf(forwarder.submit(Uint8Array.of(7), { timeoutMs: 10_000 }));
    await settle();
    loop.leaderId = 'n1'; // known again; onLeaderChange is not called
    time.advance(50);
    await settle();
    expect(sent.map(carried)).toEqual(['register']);
    expect(outcome.value).toBe('pending');
  });

  it('a command that could never be sent fails with BATON_UNAVAILABLE at its deadline', async () => {
    const time = manualTime();
    const { loop, link, forwarder } = setUp({ ...frozenEnv, clock: time.clock, timers: time.timers });
    loop.leaderId = 'n1';
    link.up = false;
    const outcome = outcomeOf(forwarder.submit(Uint8Array.of(7), { timeoutMs: 300 }));
    for (let t = 0; t < 300; t += 50) {
      await settle();
      time.advance(50);
    }
    await settle();
    expect(outcome.value).toBe('BATON_UNAVAILABLE');
  });

  it('a command over the size limit fails with BATON_TOO_LARGE on a follower too, without being sent', async () => {
    const { loop, sent, forwarder } = setUp();
    loop.leaderId = 'n1';
    await expect(forwarder.submit(new Uint8Array(101), { timeoutMs: 3000 })).rejects.toMatchObject({
      code: 'BATON_TOO_LARGE',
    });
    expect(sent).toEqual([]);
  });
});
