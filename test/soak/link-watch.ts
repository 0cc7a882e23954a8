/** Log messages of @baton/core the watch reads (pino's `msg`); 'peer link up' and 'down' are info lines. */
const LINK_UP = 'peer link up';
const LINK_DOWN = 'peer link down';
const WAL_COMPACTED = 'WAL segments compacted';
const STATE_CHANGED = 'state changed';

interface Waiter {
  readonly ready: () => boolean;
  readonly resolve: () => void;
}

/**
 * What the members' logs (at 'info') say about their peer links: which of
 * the links each member dials are up now, and how often each came up — every
 * time after the first is a reconnect the member itself observed, whatever
 * caused it. Also counts WAL compactions and leader changes per member.
 */
export class LinkWatch {
  /** 'from>to' → times the link from dialled to came up. */
  private readonly ups = new Map<string, number>();
  private readonly upNow = new Set<string>();
  private readonly waiters = new Set<Waiter>();
  readonly compactions = new Map<string, number>();
  readonly stateChanges = new Map<string, number>();

  /** Takes one log line of member `id` (pino JSON; other lines are ignored). */
  onLog(id: string, line: string): void {
    const entry = parse(line);
    if (entry === undefined) return;
    if (entry.msg === LINK_UP && typeof entry.peer === 'string') {
      const key = `${id}>${entry.peer}`;
      this.ups.set(key, (this.ups.get(key) ?? 0) + 1);
      this.upNow.add(key);
      this.wake();
    } else if (entry.msg === LINK_DOWN && typeof entry.peer === 'string') {
      this.upNow.delete(`${id}>${entry.peer}`);
    } else if (entry.msg === WAL_COMPACTED) {
      this.compactions.set(id, (this.compactions.get(id) ?? 0) + 1);
    } else if (entry.msg === STATE_CHANGED) {
      this.stateChanges.set(id, (this.stateChanges.get(id) ?? 0) + 1);
    }
  }

  /** Whether the link `from` dials to `to` is up, as far as `from` has logged. */
  isUp(from: string, to: string): boolean {
    return this.upNow.has(`${from}>${to}`);
  }

  /** Link-ups after each link's first, over every link: the reconnects the members made. */
  reconnects(): number {
    let n = 0;
    for (const count of this.ups.values()) n += count - 1;
    return n;
  }

  /** Resolves once every member of `ids` has logged its link to every other one up; rejects after `timeoutMs`. */
  allUp(ids: readonly string[], timeoutMs: number): Promise<void> {
    const ready = (): boolean => ids.every((from) => ids.every((to) => from === to || this.isUp(from, to)));
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const down = ids.flatMap((from) =>
          ids.filter((to) => from !== to && !this.isUp(from, to)).map((to) => `${from}→${to}`),
        );
        reject(new Error(`peer links still down after ${timeoutMs} ms: ${down.join(', ')}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters) {
      if (!waiter.ready()) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }
}

function parse(line: string): { msg?: unknown; peer?: unknown } | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as { msg?: unknown; peer?: unknown };
  } catch {
    return undefined;
  }
}
