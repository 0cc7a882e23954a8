import { encodeEnvelope } from '../state/command-envelope.js';

/**
 * This member's side of one client session (state/client-sessions.ts): the
 * session's id (the index of its register entry), the next sequence number,
 * and the commands still waiting for an answer — the lowest of them is the
 * floor every command carries, below which the cluster may forget results.
 */
export class ClientSession {
  private nextSeq = 1;
  private readonly waiting = new Set<number>();

  constructor(readonly id: number) {}

  /** Numbers a new command; it counts as waiting until end(seq). */
  begin(): number {
    const seq = this.nextSeq++;
    this.waiting.add(seq);
    return seq;
  }

  /** The command got its answer, or its caller gave up: the cluster need not keep its result. */
  end(seq: number): void {
    this.waiting.delete(seq);
  }

  /** The lowest seq still waiting (the next one when none is). */
  floor(): number {
    let floor = this.nextSeq;
    for (const seq of this.waiting) if (seq < floor) floor = seq;
    return floor;
  }

  /** The entry data of command `seq`, carrying the current floor; the same seq for every retry. */
  envelope(seq: number, payload: Uint8Array): Uint8Array {
    return encodeEnvelope({ kind: 'session', session: this.id, seq, floor: this.floor(), payload });
  }
}
