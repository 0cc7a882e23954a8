import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { onAbruptEnd } from './abrupt-end.js';
import { MEMBER_CONFIG_ENV, type MemberConfig } from './member-protocol.js';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MEMBER_SCRIPT = fileURLToPath(new URL('./member-process.ts', import.meta.url));
/** Lines of a member's stderr (its log) kept for failure reports. */
export const STDERR_LINES_MAX = 400;

export interface MemberChildHandlers {
  /** One parsed stdout line (an event without id and life). */
  onEvent(event: object): void;
  /** The child exited; called after every stdout line was handed to onEvent. */
  onExit(code: number | null, signal: NodeJS.Signals | null): void;
}

/**
 * Runs member-process.ts with `config` as a child of this process, with
 * @baton/core resolved to its TypeScript sources. Its last STDERR_LINES_MAX
 * log lines are kept in `stderrTail`. The child is SIGKILLed if this process
 * exits or is ended by SIGINT, SIGTERM or SIGHUP first.
 */
export function spawnMemberChild(
  config: MemberConfig,
  handlers: MemberChildHandlers,
  stderrTail: string[],
): ChildProcess {
  const child = spawn(process.execPath, ['--conditions=@baton/source', '--import', 'tsx', MEMBER_SCRIPT], {
    cwd: WORKSPACE_ROOT,
    env: { ...process.env, [MEMBER_CONFIG_ENV]: JSON.stringify(config) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const forget = onAbruptEnd(() => child.kill('SIGKILL'));
  // A write to a member that just died must not crash the harness; 'exit' tells the story.
  child.stdin?.on('error', () => {});
  const stdoutClosed = new Promise<void>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => handlers.onEvent(JSON.parse(line) as object));
    lines.on('close', resolve);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => {
    stderrTail.push(line);
    if (stderrTail.length > STDERR_LINES_MAX) stderrTail.shift();
  });
  child.once('exit', (code, signal) => {
    forget();
    void stdoutClosed.then(() => handlers.onExit(code, signal));
  });
  return child;
}
