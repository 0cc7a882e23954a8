import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onAbruptEnd } from './abrupt-end.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ExampleRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an example's script (a path from the workspace root) as a user would
 * with `tsx`, against the packages' sources; SIGKILLs it after `timeoutMs`
 * (or when this process ends first). Its members leave when its stdin closes.
 */
export function runExample(script: string, args: readonly string[], timeoutMs: number): Promise<ExampleRun> {
  const child = spawn(process.execPath, ['--conditions=@baton/source', '--import', 'tsx', script, ...args], {
    cwd: WORKSPACE_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const forget = onAbruptEnd(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      forget();
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last line of an example's `--json` output, parsed. */
export function summaryOf<T>(run: ExampleRun): T {
  const lines = run.stdout.trim().split('\n');
  return JSON.parse(lines.at(-1) ?? 'null') as T;
}

/** Resolves once none of `pids` is alive any more; rejects after `timeoutMs`. */
export async function awaitGone(pids: readonly number[], timeoutMs: number): Promise<void> {
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const deadline = performance.now() + timeoutMs;
  while (pids.some(alive)) {
    if (performance.now() > deadline) throw new Error(`still running: ${pids.filter(alive).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
