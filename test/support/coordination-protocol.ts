/**
 * The lock and election part of the line protocol between the harness and a
 * child-process member started with `coordination: true`
 * (member-coordination.ts). Events here are bodies: member-protocol.ts adds
 * `at`, `id` and `life`. Every `at`, `from`, `to`, `deadline` and
 * `lastTrueAt` is milliseconds on CLOCK_MONOTONIC, shared by every process
 * of the machine.
 *
 * A held lock or election win is reported as a "hold" keyed `lock:<name>` or
 * `election:<name>`: 'hold-valid' when its `valid` was first seen true,
 * 'hold-seen' while still true (with its lease's deadline, and again at
 * once whenever that deadline moves), 'hold-end' when seen false again, and
 * 'hold-lost' when its signal aborted.
 */

/** Events of a coordination member (bodies, without at / id / life). */
export type CoordinationEventBody =
  | { readonly ev: 'acquired'; readonly req: number; readonly name: string; readonly token: number }
  /** acquire or tryAcquire failed; `cause` is the error's cause when it is a string (or a code). */
  | {
      readonly ev: 'acquire-failed';
      readonly req: number;
      readonly name: string;
      readonly code: string;
      readonly cause: string | null;
    }
  /** tryAcquire answered undefined: held elsewhere. */
  | { readonly ev: 'busy'; readonly req: number; readonly name: string }
  | { readonly ev: 'released'; readonly req: number; readonly name: string }
  | { readonly ev: 'release-failed'; readonly req: number; readonly name: string; readonly code: string }
  | {
      readonly ev: 'holder';
      readonly req: number;
      readonly name: string;
      readonly memberId: string | null;
      readonly token: number | null;
    }
  | { readonly ev: 'hold-valid'; readonly key: string; readonly token: number }
  /** `deadline`: null when the hold's lease is not known here (or has ended). */
  | {
      readonly ev: 'hold-seen';
      readonly key: string;
      readonly token: number;
      readonly deadline: number | null;
    }
  | { readonly ev: 'hold-end'; readonly key: string; readonly token: number; readonly lastTrueAt: number }
  | {
      readonly ev: 'hold-lost';
      readonly key: string;
      readonly token: number;
      readonly code: string;
      readonly cause: string;
    }
  /**
   * One critical section of a counter worker: entered at `from` (after the
   * grant), left at `to` (before the release); it read `read` from the
   * counter file and wrote `read + 1`. `previousToken` is the token the
   * file said wrote it last.
   */
  | {
      readonly ev: 'cs';
      readonly req: number;
      readonly worker: number;
      readonly token: number;
      readonly from: number;
      readonly to: number;
      readonly read: number;
      readonly previousToken: number;
    }
  /** Every counter worker finished; `failures` are the withLock calls that failed, as "CODE (cause)". */
  | { readonly ev: 'counter-done'; readonly req: number; readonly failures: readonly string[] }
  /** One acquire of a lock-loop worker: `code` null when granted (then released). */
  | {
      readonly ev: 'attempt';
      readonly req: number;
      readonly worker: number;
      readonly name: string;
      readonly startedAt: number;
      readonly endedAt: number;
      readonly code: string | null;
      readonly token: number | null;
      /** When the release of a granted lock settled (null when nothing was granted). */
      readonly releasedAt: number | null;
      /** The release of a granted lock: null when it succeeded, else its code. */
      readonly releaseCode: string | null;
    }
  | { readonly ev: 'loop-done'; readonly req: number }
  | {
      readonly ev: 'elected';
      readonly req: number;
      readonly name: string;
      readonly token: number;
      readonly value: string | null;
    }
  | { readonly ev: 'campaign-failed'; readonly req: number; readonly name: string; readonly code: string }
  | { readonly ev: 'resigned'; readonly req: number; readonly name: string }
  | {
      readonly ev: 'observed';
      readonly req: number;
      readonly name: string;
      readonly memberId: string | null;
      readonly token: number | null;
    }
  /** Owners of the requests waiting for a lock or election, oldest first (a linearizable read). */
  | {
      readonly ev: 'waiters';
      readonly req: number;
      readonly space: 'lock' | 'election';
      readonly name: string;
      readonly owners: readonly string[];
    };

/** Commands of a coordination member. One Locks instance per ttlMs; one Election per name. */
export type CoordinationCommand =
  /**
   * acquire (or tryAcquire with `try`) the lock `name` and keep it until
   * 'release'; reported as 'acquired' and watched as a hold. `abortAfterMs`
   * aborts the wait through its signal after that long.
   */
  | {
      readonly cmd: 'acquire';
      readonly req: number;
      readonly name: string;
      readonly ttlMs: number;
      readonly waitMs?: number;
      readonly abortAfterMs?: number;
      readonly try?: boolean;
    }
  | { readonly cmd: 'release'; readonly req: number; readonly name: string }
  | { readonly cmd: 'holder'; readonly req: number; readonly name: string }
  /**
   * `workers` loops of `rounds` withLock(name) each, around a read-modify-write
   * of the JSON counter file `file` ({ count, token }) with awaits between
   * the read and the write.
   */
  | {
      readonly cmd: 'counter';
      readonly req: number;
      readonly name: string;
      readonly ttlMs: number;
      readonly workers: number;
      readonly rounds: number;
      readonly file: string;
    }
  /**
   * `workers` loops, each acquiring its own lock (`<member>-w<i>`) with
   * `waitMs`, holding it `holdMs` and releasing it, until 'loop-stop'.
   */
  | {
      readonly cmd: 'lock-loop';
      readonly req: number;
      readonly ttlMs: number;
      readonly workers: number;
      readonly waitMs: number;
      readonly holdMs: number;
    }
  | { readonly cmd: 'loop-stop'; readonly req: number; readonly loop: number }
  | {
      readonly cmd: 'campaign';
      readonly req: number;
      readonly name: string;
      readonly ttlMs: number;
      readonly value?: string;
    }
  | { readonly cmd: 'resign'; readonly req: number; readonly name: string }
  | { readonly cmd: 'observe'; readonly req: number; readonly name: string }
  | {
      readonly cmd: 'waiters';
      readonly req: number;
      readonly space: 'lock' | 'election';
      readonly name: string;
    };

export type CoordinationCommandName = CoordinationCommand['cmd'];
