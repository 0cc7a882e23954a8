import { isBatonError } from '../../errors.js';
import type { MemberId } from '../../raft/types.js';
import { History } from '../history.js';
import type { RegisterInput, RegisterOutput } from '../register-model.js';
import type { Rng } from '../rng.js';
import { encodePut } from './kv-register-machine.js';
import type { RuntimeSim } from './runtime-sim.js';

/** The shape of a KvWorkload: how many clients, registers, and how they pace and time out. */
export interface KvWorkloadOptions {
  readonly members: readonly MemberId[];
  /** Clients issuing operations concurrently, each one at a time. */
  readonly clients: number;
  /** Registers k0…k(keys-1): few keys, many operations each, is what finds ordering bugs. */
  readonly keys: number;
  /** The timeout every submit and read is given, ms. */
  readonly timeoutMs: number;
  /** A client waits a time drawn from this range between two operations, ms. */
  readonly thinkMs: readonly [number, number];
  /** Share of operations that are reads. */
  readonly readShare: number;
}

/** How one operation ended for its client, with the error's code when it failed. */
export interface OpOutcome {
  readonly outcome: 'ok' | 'failed' | 'unknown';
  readonly code?: string;
}

/**
 * What a failed `Forwarder.submit` says about the write. BATON_NOT_LEADER
 * (nothing was appended, NodeLoop.append), BATON_TOO_LARGE and BATON_CONFIG
 * (refused before anything was sent) mean it certainly had no effect.
 * Everything else is unknown: BATON_UNAVAILABLE is a timeout whether or not
 * the leader appended it, BATON_STOPPED and BATON_ABORTED may come after the
 * command left. Unknown is the safe side for the checker.
 */
export function writeOutcomeOnError(error: unknown): 'failed' | 'unknown' {
  return isBatonError(error, 'BATON_NOT_LEADER') ||
    isBatonError(error, 'BATON_TOO_LARGE') ||
    isBatonError(error, 'BATON_CONFIG')
    ? 'failed'
    : 'unknown';
}

/**
 * Clients of RuntimeSim's key-value registers: each repeatedly picks a
 * running member, a register and an operation — `put` of a value no one
 * wrote before, through the member's Forwarder (forwarded when it follows),
 * or a linearizable read (Forwarder.read, then the member's own registers) —
 * and records invocation and outcome in `history`; after half of its
 * acknowledged writes it reads the register back at once on another member.
 * The call runs inside the member's process (delayed by its pauses, lost
 * with it in a crash); the client stops waiting after the timeout plus a
 * margin, leaving the outcome unknown. Every choice comes from `rng`.
 */
export class KvWorkload {
  readonly history: History<RegisterInput, RegisterOutput>;
  private running = false;
  private quiet = false;
  private inFlight = 0;
  private nextValue = 0;

  constructor(
    private readonly sim: RuntimeSim,
    private readonly rng: Rng,
    private readonly opts: KvWorkloadOptions,
  ) {
    this.history = new History(() => sim.clock.nowUs);
  }

  /** Starts the clients. */
  start(): void {
    this.running = true;
    for (let i = 0; i < this.opts.clients; i++) void this.client(`c${i + 1}`, this.rng.fork(`client:${i}`));
  }

  /** Clients issue nothing new (operations under way go on). */
  stop(): void {
    this.running = false;
  }

  /** While quiet, clients start nothing new (a probe that needs the logs to stand still). */
  setQuiet(quiet: boolean): void {
    this.quiet = quiet;
  }

  /** No operation is waited for (each has settled or its client gave up on it). */
  get idle(): boolean {
    return this.inFlight === 0;
  }

  /** The timeout every operation is given, ms. */
  get timeoutMs(): number {
    return this.opts.timeoutMs;
  }

  /** The register names. */
  get keys(): string[] {
    return Array.from({ length: this.opts.keys }, (_, i) => `k${i}`);
  }

  /** Values of writes acknowledged to their client. */
  ackedValues(): string[] {
    return this.history.completed().flatMap((op) => (op.input.op === 'write' ? [op.input.value] : []));
  }

  /** A fresh, never written value. */
  newValue(who: string): string {
    return `${who}.${this.nextValue++}`;
  }

  /**
   * Runs one operation on `member` as client `who` and records it. Resolves
   * when it settled, or with 'unknown' when the client gave up waiting.
   */
  run(who: string, member: MemberId, key: string, input: RegisterInput): Promise<OpOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: OpOutcome['outcome'], code?: string) => {
        if (settled) return;
        settled = true;
        watchdog.cancel();
        this.inFlight--;
        resolve(code === undefined ? { outcome } : { outcome, code });
      };
      this.inFlight++;
      // The forwarder's deadline is on the member's clock (drift, pauses): give it room before giving up.
      const watchdog = this.sim.after(this.opts.timeoutMs * 1.2 + 1000, () => finish('unknown'));
      this.sim.runOn(member, () => {
        const forwarder = this.sim.forwarder(member);
        if (!forwarder) return finish('unknown');
        const kv = this.sim.kv(member);
        const handle = this.history.invoke(key, input, `${who}@${member}`);
        const timeoutMs = this.opts.timeoutMs;
        const done: Promise<RegisterOutput> =
          input.op === 'write'
            ? forwarder.submit(encodePut(key, input.value), { timeoutMs }).then(() => null)
            : forwarder.read({ timeoutMs }).then(() => kv.get(key));
        done.then(
          (output) => {
            this.history.ok(handle, output);
            finish('ok');
          },
          (error: unknown) => {
            // A read that failed returned nothing: it constrains nothing either way.
            const outcome = input.op === 'read' ? 'failed' : writeOutcomeOnError(error);
            if (outcome === 'failed') this.history.failed(handle);
            finish(outcome, errorCode(error));
          },
        );
      });
    });
  }

  private async client(name: string, rng: Rng): Promise<void> {
    while (this.running) {
      await new Promise<void>((resolve) => this.sim.after(rng.real(...this.opts.thinkMs), resolve));
      if (!this.running) return;
      if (this.quiet) continue;
      const up = this.opts.members.filter((id) => this.sim.forwarder(id) !== undefined);
      if (up.length === 0) continue;
      const member = rng.pick(up);
      const key = rng.pick(this.keys);
      const input: RegisterInput = rng.chance(this.opts.readShare)
        ? { op: 'read' }
        : { op: 'write', value: this.newValue(name) };
      const { outcome } = await this.run(name, member, key, input);
      // Half the acknowledged writes are read back at once through another member: a read point
      // below the write's index there (a stale ReadIndex) returns an older value, which the
      // linearizability check refuses. Random reads alone rarely land in that window.
      if (input.op !== 'write' || outcome !== 'ok' || !rng.chance(READ_BACK_SHARE)) continue;
      if (!this.running || this.quiet) continue; // nothing new once stopped, or while quiet
      const others = this.opts.members.filter((id) => id !== member && this.sim.forwarder(id) !== undefined);
      if (others.length > 0) await this.run(name, rng.pick(others), key, { op: 'read' });
    }
  }
}

/** Share of a client's acknowledged writes it reads back at once through another member. */
const READ_BACK_SHARE = 0.5;

function errorCode(error: unknown): string {
  return isBatonError(error) ? error.code : String(error);
}
