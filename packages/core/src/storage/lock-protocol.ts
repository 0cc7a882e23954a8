/**
 * The dataDir lock's protocol, over an injected set of operations so that
 * every interleaving of competing processes can be tested without a file
 * system or a clock (test/storage/lock-protocol.test.ts). The real operations
 * (lock-socket.ts) are Unix domain sockets bound inside the dataDir: the
 * kernel says whether a socket's owner is alive (a connect succeeds) or gone
 * (ECONNREFUSED once every descriptor of it was closed, which the kernel does
 * when a process dies, however it dies). No clock is read anywhere here.
 *
 * A socket's name can outlive its owner, and a name cannot be replaced only
 * if it still is the dead one (POSIX has no compare-and-swap rename), so dead
 * names are never replaced: each holder creates the next *generation*,
 * `LOCK-<n>.sock`, atomically (link(2) fails if the name exists). The holder
 * is the process whose generation is the highest and which, after creating
 * it, saw no higher generation and no live lower one. Two processes cannot
 * both pass that check: whoever checks second sees the first one's live
 * socket (lower) or its name (higher). In a race of three or more with stale
 * views, all may be refused; never two granted.
 */

/** What a connect to a lock socket says about its owner. */
export type Liveness = 'live' | 'dead' | 'gone';

/** The file-system and socket operations the protocol needs; lock-socket.ts has the real ones. */
export interface LockOps {
  /** Names of the entries in the dataDir. */
  list(): Promise<readonly string[]>;
  /** Connects to the socket called `name`: 'live' (someone listens), 'dead' (nobody), 'gone' (no such name). */
  probe(name: string): Promise<Liveness>;
  /**
   * Creates a socket this process listens on, under `name`, atomically:
   * false (and nothing left behind) if `name` exists already.
   */
  publish(name: string): Promise<boolean>;
  /** Removes this process's own `name` (published earlier), then stops listening. */
  withdraw(name: string): Promise<void>;
  /** Removes a dead socket's name; a missing name is not an error. */
  remove(name: string): Promise<void>;
}

/** How an acquire ended. `in-use` names the live socket that holds the lock. */
export type AcquireOutcome =
  | { readonly status: 'held'; readonly name: string }
  | { readonly status: 'in-use'; readonly name: string }
  /** Lost every race for `roundsMax` rounds (other processes kept taking generations): try again later. */
  | { readonly status: 'contended' };

const GENERATION_PATTERN = /^LOCK-(\d{1,15})\.sock$/;

/** The socket name of generation `n`. */
export function lockSocketName(generation: number): string {
  return `LOCK-${generation}.sock`;
}

/** The generations named in `names`, ascending. */
export function generationsIn(names: readonly string[]): number[] {
  const found: number[] = [];
  for (const name of names) {
    const match = GENERATION_PATTERN.exec(name);
    if (match !== null) found.push(Number(match[1]));
  }
  return found.sort((a, b) => a - b);
}

/**
 * Takes the lock, or finds who holds it. On `held`, the names of dead lower
 * generations have been removed (only the holder removes names: a stale one
 * re-created meanwhile by a process with an old view belongs to a process
 * that will find this holder and withdraw).
 */
export async function acquireLock(ops: LockOps, roundsMax = 16): Promise<AcquireOutcome> {
  for (let round = 0; round < roundsMax; round++) {
    const top = generationsIn(await ops.list()).at(-1) ?? 0;
    if (top > 0) {
      const state = await ops.probe(lockSocketName(top));
      if (state === 'live') return { status: 'in-use', name: lockSocketName(top) };
      if (state === 'gone') continue; // released or cleared meanwhile: look again
    }
    const name = lockSocketName(top + 1);
    if (!(await ops.publish(name))) continue; // another process took this generation first
    const verdict = await verify(ops, top + 1);
    if (verdict.status === 'held') {
      for (const dead of verdict.dead) await ops.remove(lockSocketName(dead));
      return { status: 'held', name };
    }
    await ops.withdraw(name);
    if (verdict.status === 'in-use') return verdict;
  }
  return { status: 'contended' };
}

type Verdict =
  | { readonly status: 'held'; readonly dead: readonly number[] }
  | { readonly status: 'in-use'; readonly name: string }
  | { readonly status: 'retry' };

/**
 * After publishing generation `mine`: it holds the lock only if nothing
 * higher exists and nothing lower lives. The second condition is defence in
 * depth: with withdraw removing the name before closing the socket and only
 * holders removing dead names, the model test finds no schedule that needs
 * it, but it costs one connect per leftover name.
 */
async function verify(ops: LockOps, mine: number): Promise<Verdict> {
  const generations = generationsIn(await ops.list());
  if (generations.some((g) => g > mine)) return { status: 'retry' };
  const dead: number[] = [];
  for (const g of generations) {
    if (g >= mine) continue;
    const state = await ops.probe(lockSocketName(g));
    if (state === 'live') return { status: 'in-use', name: lockSocketName(g) };
    if (state === 'dead') dead.push(g);
  }
  return { status: 'held', dead };
}
