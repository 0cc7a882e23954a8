import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onAbruptEnd } from './abrupt-end.js';
import { memberUrls } from './free-port.js';
import { spawnMemberChild } from './member-child.js';
import {
  type MemberCommand,
  type MemberConfig,
  type MemberEvent,
  type MemberEventName,
  monotonicNowMs,
} from './member-protocol.js';

/** Events of a member shown in a failure report. */
const REPORT_EVENTS_MAX = 40;
/** Events kept in all; a test that produces more is broken (e.g. an event printed in a tight loop). */
const EVENTS_MAX = 500_000;
/** A member that does not print 'started' within this is reported as failed. */
const START_TIMEOUT_MS = 30_000;

export type EventOf<K extends MemberEventName> = Extract<MemberEvent, { ev: K }>;
type Tuning = Partial<Omit<MemberConfig, 'id' | 'members' | 'dataDir' | 'secret'>>;

export interface ProcessClusterOptions {
  /** Member ids (default n1, n2, n3). */
  readonly ids?: readonly string[];
  readonly secret?: string;
  /** Timing and limits passed to every member. */
  readonly tuning?: Tuning;
}

interface Member {
  readonly id: string;
  child: ChildProcess | undefined;
  life: number;
  readonly stderr: string[];
}

interface Waiter {
  readonly id: string | undefined;
  readonly predicate: (e: MemberEvent) => boolean;
  readonly resolve: (e: MemberEvent) => void;
  readonly reject: (error: Error) => void;
}

/**
 * A cluster of child-process members (member-process.ts) on loopback ports,
 * each with its own dataDir under a fresh temp directory. Waits are bounded
 * and driven by the members' events, never by sleeping. `close()` SIGKILLs
 * every child, awaits its exit and removes the temp directory; children
 * still alive when this process exits are SIGKILLed too.
 */
export class ProcessCluster {
  private readonly byId = new Map<string, Member>();
  private readonly log: MemberEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private nextReq = 1;
  private readonly forgetDir: () => void;

  private constructor(
    readonly dir: string,
    readonly members: Readonly<Record<string, string>>,
    readonly secret: string,
    private readonly tuning: Tuning,
  ) {
    for (const id of Object.keys(members)) this.byId.set(id, { id, child: undefined, life: 0, stderr: [] });
    this.forgetDir = onAbruptEnd(() => rmSync(dir, { recursive: true, force: true }));
  }

  /** Starts every member at once and waits until each has printed 'started'. */
  static async start(options: ProcessClusterOptions = {}): Promise<ProcessCluster> {
    const ids = options.ids ?? ['n1', 'n2', 'n3'];
    const dir = await mkdtemp(join(tmpdir(), 'baton-mp-'));
    const cluster = new ProcessCluster(dir, await memberUrls(ids), options.secret ?? 'multi-process-secret', {
      ...options.tuning,
    });
    try {
      await Promise.all(ids.map((id) => cluster.spawnMember(id)));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  get ids(): string[] {
    return [...this.byId.keys()];
  }

  dataDir(id: string): string {
    return join(this.dir, id);
  }

  /** Every event so far, of one member or of all, in arrival order. */
  events(id?: string): readonly MemberEvent[] {
    return id === undefined ? [...this.log] : this.log.filter((e) => e.id === id);
  }

  /** A position in the event stream, for `waitFor(..., { after })`. */
  mark(): number {
    return this.log.length;
  }

  isAlive(id: string): boolean {
    return this.member(id).child !== undefined;
  }

  /** Sends `signal` to a member; returns the monotonic instant just before sending. */
  kill(id: string, signal: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT'): number {
    const child = this.member(id).child;
    if (child === undefined) throw new Error(`member ${id} is not running`);
    const at = monotonicNowMs();
    child.kill(signal);
    return at;
  }

  /** SIGKILLs a member and waits for its exit. */
  async crash(id: string): Promise<void> {
    const mark = this.mark();
    this.kill(id, 'SIGKILL');
    await this.waitFor(id, (e) => e.ev === 'exit', 10_000, { after: mark });
  }

  /** Starts a member that has exited again, from its dataDir; resolves with its 'started' event. */
  async restart(id: string): Promise<EventOf<'started'>> {
    if (this.isAlive(id)) throw new Error(`member ${id} is still running`);
    return await this.spawnMember(id);
  }

  /** Writes one command to a member's stdin; returns its req number. */
  send(id: string, command: DistributiveOmit<MemberCommand, 'req'>): number {
    const child = this.member(id).child;
    if (child === undefined) throw new Error(`member ${id} is not running`);
    const req = this.nextReq++;
    child.stdin?.write(`${JSON.stringify({ ...command, req })}\n`);
    return req;
  }

  /**
   * Resolves with the first event of member `id` (any member when undefined)
   * matching `predicate`, looking at events from position `after` (default:
   * the beginning) onwards. Rejects after `timeoutMs`, or when the member
   * exits first, with its recent events and log in the message.
   */
  waitFor(
    id: string | undefined,
    predicate: (e: MemberEvent) => boolean,
    timeoutMs: number,
    options: { after?: number } = {},
  ): Promise<MemberEvent> {
    const seen = this.log
      .slice(options.after ?? 0)
      .find((e) => (id === undefined || e.id === id) && predicate(e));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting on ${id ?? 'any member'}\n${this.report(id)}`),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        id,
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Like waitFor, for an event of one kind, typed. */
  async waitForEvent<K extends MemberEventName>(
    id: string | undefined,
    ev: K,
    predicate: (e: EventOf<K>) => boolean,
    timeoutMs: number,
    options: { after?: number } = {},
  ): Promise<EventOf<K>> {
    const event = await this.waitFor(
      id,
      (e) => e.ev === ev && predicate(e as EventOf<K>),
      timeoutMs,
      options,
    );
    return event as EventOf<K>;
  }

  /** Asks a member for its status, answered once it has applied `appliedAtLeast` (default 0). */
  async status(id: string, timeoutMs: number, appliedAtLeast = 0): Promise<EventOf<'status'>> {
    const req = this.send(id, { cmd: 'status', appliedAtLeast });
    return await this.waitForEvent(id, 'status', (e) => e.req === req, timeoutMs);
  }

  /** Proposes `tags` on a member and waits for every answer; returns the acknowledged ones. */
  async propose(id: string, tags: readonly string[], timeoutMs: number): Promise<EventOf<'ack'>[]> {
    const mark = this.mark();
    const req = this.send(id, { cmd: 'propose', tags });
    let answered = 0;
    await this.waitFor(
      id,
      (e) => (e.ev === 'ack' || e.ev === 'nack') && e.req === req && ++answered === tags.length,
      timeoutMs,
      { after: mark },
    );
    return this.log.slice(mark).filter((e): e is EventOf<'ack'> => e.ev === 'ack' && e.req === req);
  }

  /** Stops a member gracefully and waits for it to exit. */
  async stop(id: string, timeoutMs: number): Promise<void> {
    const mark = this.mark();
    this.send(id, { cmd: 'stop' });
    await this.waitFor(id, (e) => e.ev === 'exit', timeoutMs, { after: mark });
  }

  /** The member's recent events and log lines, for failure messages. */
  report(id?: string): string {
    const ids = id === undefined ? this.ids : [id];
    return ids
      .map((m) => {
        const events = this.events(m)
          .slice(-REPORT_EVENTS_MAX)
          .map((e) => JSON.stringify(e));
        const stderr = this.member(m).stderr.slice(-REPORT_EVENTS_MAX);
        return `--- ${m} events:\n${events.join('\n')}\n--- ${m} log:\n${stderr.join('\n')}`;
      })
      .join('\n');
  }

  /** SIGKILLs every member still running, awaits their exits, removes the temp directory. */
  async close(): Promise<void> {
    const exits = [...this.byId.values()].map((m) => {
      const child = m.child;
      // Exited already (its last output may still be draining): 'exit' will not come again.
      if (child === undefined || child.exitCode !== null || child.signalCode !== null)
        return Promise.resolve();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      return exited;
    });
    await Promise.all(exits);
    for (const waiter of this.waiters) waiter.reject(new Error('the process cluster was closed'));
    this.waiters.clear();
    await rm(this.dir, { recursive: true, force: true });
    this.forgetDir();
  }

  private member(id: string): Member {
    const m = this.byId.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }

  private spawnMember(id: string): Promise<EventOf<'started'>> {
    const m = this.member(id);
    m.life += 1;
    const life = m.life;
    const config: MemberConfig = {
      id,
      members: this.members,
      dataDir: this.dataDir(id),
      secret: this.secret,
      ...this.tuning,
    };
    const mark = this.mark();
    const child = spawnMemberChild(
      config,
      {
        onEvent: (event) => this.record({ ...event, id, life } as MemberEvent),
        onExit: (code, signal) => {
          if (m.child === child) m.child = undefined;
          this.record({ ev: 'exit', code, signal, at: monotonicNowMs(), id, life });
        },
      },
      m.stderr,
    );
    m.child = child;
    const started = this.waitFor(
      id,
      (e) => e.life === life && (e.ev === 'started' || e.ev === 'exit' || e.ev === 'error'),
      START_TIMEOUT_MS,
      { after: mark },
    );
    return started.then((e) => {
      if (e.ev !== 'started')
        throw new Error(`member ${id} did not start: ${JSON.stringify(e)}\n${this.report(id)}`);
      return e;
    });
  }

  private record(event: MemberEvent): void {
    if (this.log.length >= EVENTS_MAX) throw new Error(`more than ${EVENTS_MAX} member events`);
    this.log.push(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.id !== undefined && waiter.id !== event.id) continue;
      if (waiter.predicate(event)) {
        this.waiters.delete(waiter);
        waiter.resolve(event);
      } else if (event.ev === 'exit' && waiter.id === event.id) {
        this.waiters.delete(waiter);
        waiter.reject(new Error(`member ${event.id} exited while awaited\n${this.report(event.id)}`));
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
