import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onAbruptEnd } from '../support/abrupt-end.js';
import {
  CHAOS_CONFIG_ENV,
  type ChaosCommand,
  type ChaosEvent,
  type ChaosMemberConfig,
  monotonicNowMs,
} from './chaos-protocol.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MEMBER_SCRIPT = fileURLToPath(new URL('./chaos-member.ts', import.meta.url));
/** Log lines of a member kept for a failure report. */
const STDERR_LINES_MAX = 200;
/** A member that has not started within this is a failure of the run (tsx compiles on start; a loaded machine is slow). */
const START_TIMEOUT_MS = 60_000;

/** An event as the harness sees it: the member's, with who sent it and in which life. */
export type MemberEvent = ChaosEvent & { readonly id: string; readonly life: number };
/** What the harness adds when a member process exits. */
export interface ExitEvent {
  readonly id: string;
  readonly life: number;
  readonly at: number;
  readonly code: number | null;
  readonly signal: string | null;
}

export interface ChaosClusterHandlers {
  onEvent(event: MemberEvent): void;
  onExit(event: ExitEvent): void;
  /** One line of a member's log (pino JSON on its stderr). */
  onLog?(id: string, line: string): void;
}

interface Member {
  readonly id: string;
  life: number;
  child: ChildProcess | undefined;
  paused: boolean;
  /** Resolves once the current child has exited and its last events were handled. */
  exited: Promise<void>;
  readonly stderr: string[];
}

type Reply = Extract<MemberEvent, { req: number }>;

/**
 * The member processes of a chaos run: spawns them with per-member configs,
 * SIGKILLs, SIGSTOPs and SIGCONTs them, restarts them from their dataDirs,
 * and routes their events. Every child is SIGKILLed when `close()` runs or
 * this process ends.
 */
export class ChaosCluster {
  private readonly members = new Map<string, Member>();
  private readonly replies = new Map<
    number,
    { id: string; resolve: (e: Reply) => void; reject: (e: Error) => void }
  >();
  private nextReq = 1;

  constructor(
    private readonly configFor: (id: string, life: number) => ChaosMemberConfig,
    ids: readonly string[],
    private readonly handlers: ChaosClusterHandlers,
  ) {
    for (const id of ids)
      this.members.set(id, {
        id,
        life: 0,
        child: undefined,
        paused: false,
        exited: Promise.resolve(),
        stderr: [],
      });
  }

  get ids(): string[] {
    return [...this.members.keys()];
  }

  isRunning(id: string): boolean {
    return this.member(id).child !== undefined;
  }

  isPaused(id: string): boolean {
    return this.member(id).paused;
  }

  life(id: string): number {
    return this.member(id).life;
  }

  stderrTail(id: string): readonly string[] {
    return this.member(id).stderr;
  }

  /** Starts member `id` (again), resolving once it reported 'started'; rejects if it exits or errs first. */
  start(id: string): Promise<void> {
    const m = this.member(id);
    if (m.child !== undefined) throw new Error(`member ${id} is running`);
    m.life += 1;
    const life = m.life;
    // --expose-gc: a member measures its heap after a full collection ('resources'); nothing else calls gc.
    const args = ['--expose-gc', '--conditions=@baton/source', '--import', 'tsx', MEMBER_SCRIPT];
    const child = spawn(process.execPath, args, {
      cwd: WORKSPACE_ROOT,
      env: { ...process.env, [CHAOS_CONFIG_ENV]: JSON.stringify(this.configFor(id, life)) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    m.child = child;
    m.paused = false;
    const forget = onAbruptEnd(() => child.kill('SIGKILL'));
    child.stdin?.on('error', () => {});
    return new Promise((resolve, reject) => {
      let started = false;
      const timer = setTimeout(
        () => fail(new Error(`member ${id} did not start within ${START_TIMEOUT_MS} ms`)),
        START_TIMEOUT_MS,
      );
      const fail = (error: Error): void => {
        clearTimeout(timer);
        if (!started) reject(new Error(`${error.message}\n${m.stderr.slice(-20).join('\n')}`));
        started = true;
      };
      const stdoutClosed = new Promise<void>((done) => {
        const lines = createInterface({ input: child.stdout! });
        lines.on('line', (line) => {
          const event = { ...(JSON.parse(line) as ChaosEvent), id, life } as MemberEvent;
          if (event.ev === 'started' && !started) {
            started = true;
            clearTimeout(timer);
            resolve();
          } else if (event.ev === 'error' && !started) {
            fail(new Error(`member ${id} failed to start: ${event.code} ${event.message}`));
          }
          this.route(event);
        });
        lines.on('close', done);
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        this.handlers.onLog?.(id, line);
        m.stderr.push(line);
        if (m.stderr.length > STDERR_LINES_MAX) m.stderr.shift();
      });
      let exited: () => void = () => {};
      m.exited = new Promise((done) => {
        exited = done;
      });
      child.once('exit', (code, signal) => {
        forget();
        void stdoutClosed.then(() => {
          if (m.child === child) {
            m.child = undefined;
            m.paused = false;
          }
          fail(new Error(`member ${id} exited (code ${code}, signal ${signal}) before starting`));
          for (const [req, waiter] of this.replies) {
            if (waiter.id !== id) continue;
            this.replies.delete(req);
            waiter.reject(new Error(`member ${id} exited`));
          }
          this.handlers.onExit({ id, life, at: monotonicNowMs(), code, signal });
          exited();
        });
      });
    });
  }

  /** SIGKILLs a member and resolves once it has exited. */
  async kill(id: string): Promise<void> {
    const m = this.member(id);
    m.child?.kill('SIGKILL');
    await m.exited;
  }

  pause(id: string): void {
    const m = this.member(id);
    if (m.child === undefined || m.paused) return;
    m.child.kill('SIGSTOP');
    m.paused = true;
  }

  resume(id: string): void {
    const m = this.member(id);
    if (m.child === undefined || !m.paused) return;
    m.child.kill('SIGCONT');
    m.paused = false;
  }

  send(id: string, command: ChaosCommand): void {
    this.member(id).child?.stdin?.write(`${JSON.stringify(command)}\n`);
  }

  /** Sends a command carrying a fresh `req` and resolves with the member's reply to it, within `timeoutMs`. */
  request<E extends Reply['ev']>(
    id: string,
    command: DistributiveOmit<Extract<ChaosCommand, { req: number }>, 'req'>,
    replyEv: E | E[],
    timeoutMs: number,
  ): Promise<Extract<Reply, { ev: E }> | Extract<Reply, { ev: 'status-failed' }>> {
    const req = this.nextReq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.replies.delete(req);
        reject(new Error(`member ${id} did not answer ${command.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      const wanted = Array.isArray(replyEv) ? replyEv : [replyEv];
      this.replies.set(req, {
        id,
        resolve: (e) => {
          if (!wanted.includes(e.ev as E) && e.ev !== 'status-failed') return;
          clearTimeout(timer);
          this.replies.delete(req);
          resolve(e as Extract<Reply, { ev: E }>);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.send(id, { ...command, req } as ChaosCommand);
    });
  }

  /** SIGKILLs every member still running (a stopped one dies too) and waits for the exits. */
  async close(): Promise<void> {
    await Promise.all(this.ids.map((id) => this.kill(id)));
  }

  private route(event: MemberEvent): void {
    if ('req' in event) this.replies.get(event.req)?.resolve(event);
    this.handlers.onEvent(event);
  }

  private member(id: string): Member {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no member ${id}`);
    return m;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
