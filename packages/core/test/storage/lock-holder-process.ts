import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-lock.ts', import.meta.url));

/** A child process that takes a dataDir lock on demand (fixtures/hold-lock.ts). */
export class LockHolderProcess {
  private readonly lines: string[] = [];
  private readonly waiters: (() => void)[] = [];

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** Starts the process and waits until it is ready to take the lock. */
  static async start(dataDir: string): Promise<LockHolderProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dataDir], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const holder = new LockHolderProcess(child);
    await holder.nextLine();
    return holder;
  }

  /** Asks it to take the lock; resolves with 'held' or 'refused <code>'. */
  async take(): Promise<string> {
    this.child.stdin!.write('go\n');
    return await this.nextLine();
  }

  /** Sends `go` without waiting, for races; read the answer with nextLine(). */
  go(): void {
    this.child.stdin!.write('go\n');
  }

  /** The next line it prints (its readiness, then the outcome of a take). */
  async nextLine(): Promise<string> {
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error('lock holder exited');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.lines.shift()!;
  }

  /** Releases the lock and waits for the exit. */
  async release(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.stdin!.end('release\n');
    await exited;
  }

  /** SIGKILLs it and waits for the exit: the kernel closes its lock socket. */
  async kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }
}
