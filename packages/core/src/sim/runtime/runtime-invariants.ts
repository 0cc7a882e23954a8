import type { MemberId } from '../../raft/types.js';
import type { NodeLoop } from '../../runtime/node-loop.js';
import { formatSeed } from '../rng.js';
import { type LocalClock, US_PER_MS } from '../sim-clock.js';
import type { LeadersByTerm } from './leaders-by-term.js';
import type { TokenRecord } from './runtime-sim.js';

/** What the invariants look at: RuntimeSim's members, tokens and the leaders seen so far. */
export interface InvariantView {
  readonly seed: number;
  readonly nowMs: number;
  /** Global time now, µs. */
  readonly nowUs: number;
  readonly tokens: readonly TokenRecord[];
  readonly leaders: LeadersByTerm;
  readonly members: Iterable<{
    readonly id: MemberId;
    readonly loop: NodeLoop | undefined;
    readonly fatal: unknown;
    readonly incarnation: number;
    readonly clock: LocalClock;
    readonly pausedUntilUs: number;
    readonly stateMachine: { readonly violation: string | undefined };
  }>;
}

/** Members whose token is valid right now, by their own clocks. */
export function validHolders(tokens: readonly TokenRecord[]): MemberId[] {
  const holders: MemberId[] = [];
  for (const t of tokens) if (t.token.valid && !holders.includes(t.member)) holders.push(t.member);
  return holders;
}

/**
 * Throws, naming the seed, if an invariant of RuntimeSim is broken now:
 * never two valid tokens (DESIGN.md §2.1), no member leading a newer term
 * while an older token is valid, never two leaders in one term over the
 * whole run, and no violation noted by a running member's state machine
 * (applied before durable, applied twice, two entries at one index), and
 * no member stopped by a fatal error (its simulated disk never fails).
 * Runs at every event, before and after it runs: plain loops, no closures.
 */
export function checkRuntimeInvariants(v: InvariantView): void {
  let valid: TokenRecord | undefined;
  for (const t of v.tokens) {
    if (!t.token.valid) continue;
    if (valid && valid.member !== t.member) {
      throw violation(
        v,
        `two valid leadership tokens at ${v.nowMs.toFixed(3)} ms: ${validHolders(v.tokens).join(', ')}`,
      );
    }
    valid = t;
  }
  for (const m of v.members) {
    const status = m.loop?.status();
    if (status?.role === 'leader') {
      // Sooner than a second token: the lease promises that no one else is even elected before it ends
      // (a successor's token comes only after its no-op commits and a round is acknowledged). A deposed
      // leader still leading an older term, e.g. while it is paused, is no successor.
      if (valid && m.id !== valid.member && status.term > valid.token.term) {
        throw violation(
          v,
          `${m.id} leads term ${status.term} at ${v.nowMs.toFixed(3)} ms while ${valid.member}'s token ` +
            `of term ${valid.token.term} is still valid`,
        );
      }
      const other = v.leaders.observe(m.id, status.term);
      if (other !== undefined) {
        throw violation(
          v,
          `${m.id} leads in term ${status.term}, which ${other} led in already (at ${v.nowMs.toFixed(3)} ms)`,
        );
      }
    }
    if (m.loop && m.stateMachine.violation) throw violation(v, `${m.id} ${m.stateMachine.violation}`);
    checkSignalsAborted(v, m);
    if (m.fatal !== undefined) {
      const why = m.fatal instanceof Error ? m.fatal.message : String(m.fatal);
      throw violation(v, `${m.id} stopped on a fatal error: ${why}`, m.fatal);
    }
  }
}

/** How far past its deadline, on its member's clock, a token's signal may still be unaborted (rounding to µs). */
const SIGNAL_LATE_MS_MAX = 0.01;

/**
 * DESIGN.md §2.1: a token's signal aborts at its deadline at the latest, as
 * far as the event loop lets it run. So once the member's timers due by now
 * have had their turn — it runs the incarnation that got the token (a
 * crashed one has no timers), and it is neither paused nor still running
 * what a pause held back (that runs at the pause's end and a microsecond
 * later) — no token of it may be unaborted past its deadline.
 */
function checkSignalsAborted(
  v: InvariantView,
  m: {
    readonly id: MemberId;
    readonly loop: NodeLoop | undefined;
    readonly incarnation: number;
    readonly clock: LocalClock;
    readonly pausedUntilUs: number;
  },
): void {
  if (!m.loop || v.nowUs <= m.pausedUntilUs + 1) return;
  const localMs = m.clock.localMs(v.nowUs);
  for (const t of v.tokens) {
    if (t.member !== m.id || t.incarnation !== m.incarnation || t.token.signal.aborted) continue;
    if (localMs - t.token.deadline > SIGNAL_LATE_MS_MAX) {
      throw violation(
        v,
        `${m.id}'s token of term ${t.token.term} is not aborted ${(localMs - t.token.deadline).toFixed(3)} ms ` +
          `after its deadline (at ${v.nowMs.toFixed(3)} ms)`,
      );
    }
  }
}

/** A broken invariant of RuntimeSim (`code` is stable; the message names the seed and what was seen). */
export class RuntimeInvariantViolation extends Error {
  readonly code = 'SIM_RUNTIME_INVARIANT';
}

function violation(v: InvariantView, what: string, cause?: unknown): Error {
  return new RuntimeInvariantViolation(
    `seed=${formatSeed(v.seed)}: ${what}`,
    cause === undefined ? undefined : { cause },
  );
}

/** A run took more events or virtual time than its caps allow: a livelock, or a workload out of bounds. */
/** A run went past its event or virtual-time cap (`code` is stable; the message tallies its last events). */
export class RunCapExceeded extends Error {
  readonly code = 'SIM_RUN_CAP';
}

/** How many of the last events a run-cap report tallies. */
const RECENT_EVENTS = 1000;

/** An event as a run-cap report names it (SimJob's label). */
export interface LabelledEvent {
  label?(): string;
}

/**
 * Counts a run's events and fails it, naming the seed, past its caps. The
 * report tallies the last RECENT_EVENTS events by label (member, timer or
 * I/O, function; dropped ones apart) with the virtual time they spanned:
 * a loop that fills the cap shows there.
 */
export class RunCaps {
  private count = 0;
  private readonly recent: { atUs: number; event: LabelledEvent; dead: boolean }[] = [];

  constructor(
    private readonly seed: number,
    private readonly eventsMax: number,
    private readonly virtualMsMax: number,
  ) {}

  /** Events counted so far. */
  get events(): number {
    return this.count;
  }

  /** Counts the event due at `atUs` (`dead`: dropped unrun); throws RunCapExceeded past a cap. */
  onEvent(atUs: number, event: LabelledEvent = {}, dead = false): void {
    const slot = this.count % RECENT_EVENTS;
    const kept = this.recent[slot];
    if (kept) {
      kept.atUs = atUs;
      kept.event = event;
      kept.dead = dead;
    } else this.recent[slot] = { atUs, event, dead };
    const over =
      ++this.count > this.eventsMax
        ? `over ${this.eventsMax} events`
        : atUs > this.virtualMsMax * US_PER_MS
          ? `past ${this.virtualMsMax} ms of virtual time`
          : undefined;
    if (over !== undefined) {
      throw new RunCapExceeded(
        `seed=${formatSeed(this.seed)}: run cap hit: ${over} (at ${(atUs / US_PER_MS).toFixed(3)} ms, event ${this.count}); ` +
          this.recentReport(atUs),
      );
    }
  }

  private recentReport(nowUs: number): string {
    const tally = new Map<string, number>();
    let fromUs = nowUs;
    for (const r of this.recent) {
      const label = `${r.event.label?.() ?? 'unlabelled'}${r.dead ? ' (dropped)' : ''}`;
      tally.set(label, (tally.get(label) ?? 0) + 1);
      fromUs = Math.min(fromUs, r.atUs);
    }
    const top = [...tally].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 8);
    return (
      `the last ${this.recent.length} events, over ${((nowUs - fromUs) / US_PER_MS).toFixed(3)} ms: ` +
      top.map(([label, n]) => `${n} × ${label}`).join(', ')
    );
  }
}
