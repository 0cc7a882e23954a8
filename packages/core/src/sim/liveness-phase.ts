import type { MemberId } from '../raft/types.js';
import { InvariantViolation } from './invariant-violation.js';
import type { Simulator } from './simulator.js';

/**
 * The liveness phase of `Simulator.run()`: heal the network, calm it, restart
 * every member, bring every member back into the membership, and then require
 * that a leader accepts a fresh proposal and that it is applied on every
 * member, all within `livenessTicksMax`. Returns the ticks it took; throws an
 * InvariantViolation ('liveness') describing every member otherwise.
 *
 * A fresh proposal that is lost (overwritten, or truncated from the leader's
 * log) is proposed again; only the budget is fixed.
 */
export function runLivenessPhase(sim: Simulator): number {
  sim.network.heal();
  sim.network.faults = sim.options.network;
  sim.note('liveness: heal, calm network, restart every member');
  for (const id of sim.ids) {
    sim.member(id).crashDuringNextSync = false;
    sim.restart(id);
  }
  const startUs = sim.nowUs;
  const deadlineUs = startUs + sim.options.livenessTicksMax * sim.tickUs;
  let attempt = 0;
  let pending: { key: string; index: number; term: number } | undefined;
  while (sim.nowUs < deadlineUs) {
    // A member outside the membership would never apply the fresh entry: bring everyone back first.
    if (!fullMembership(sim)) {
      sim.runFor(1);
      continue;
    }
    if (pending === undefined) {
      const leader = sim.leader();
      const text = `fresh${attempt}`;
      const result = leader === undefined ? undefined : sim.propose(leader, text);
      if (result?.ok) {
        attempt++;
        pending = { key: `${result.term}|cmd:${text}`, index: result.index, term: result.term };
      }
    }
    if (pending !== undefined) {
      const applied = sim.checkers.apply.appliedAt(pending.index);
      if (applied !== undefined && applied.termKey !== pending.key) pending = undefined;
      else if (applied !== undefined && appliedEverywhere(sim, pending.index)) {
        return Math.ceil((sim.nowUs - startUs) / sim.tickUs);
      } else if (applied === undefined && lostByLeader(sim, pending.index, pending.term)) pending = undefined;
    }
    sim.runFor(1);
  }
  throw new InvariantViolation(
    'liveness',
    `no fresh proposal applied on every member within ${sim.options.livenessTicksMax} ticks ` +
      `(${pending ? `waiting for index ${pending.index}` : 'no leader accepted one'}); ${describeMembers(sim)}`,
  );
}

/**
 * Whether the leader's membership in force has every member as a voter; if
 * not, proposes adding one back (refused while a change is pending, so it is
 * simply tried again on a later tick).
 */
function fullMembership(sim: Simulator): boolean {
  const leader = sim.leader();
  const config = leader === undefined ? undefined : sim.config(leader);
  if (leader === undefined || config === undefined) return false;
  const missing = sim.ids.find((id) => !config.voters.includes(id));
  if (missing === undefined) return true;
  sim.proposeConfigChange(leader, { op: 'addVoter', id: missing });
  return false;
}

/** The current leader's log no longer holds our entry at `index`: it was truncated, so propose again. */
function lostByLeader(sim: Simulator, index: number, term: number): boolean {
  const leader = sim.leader();
  if (leader === undefined) return false;
  const m = sim.member(leader);
  return (m.status()?.snapshotIndex ?? 0) < index && m.termAt(index) !== term;
}

function appliedEverywhere(sim: Simulator, index: number): boolean {
  return sim.ids.every((id) => (sim.member(id).stateMachine()?.appliedIndex ?? -1) >= index);
}

function describeMembers(sim: Simulator): string {
  return sim.ids.map((id: MemberId) => describeMember(sim, id)).join('; ');
}

function describeMember(sim: Simulator, id: MemberId): string {
  const s = sim.status(id);
  if (s === undefined) return `${id} down`;
  const applied = sim.member(id).stateMachine()?.appliedIndex;
  const voter = s.config.voters.includes(id) ? '' : ' (not a voter)';
  return `${id}${voter} ${s.role} t${s.term} lead ${s.leaderId ?? '-'} commit ${s.commitIndex} applied ${applied} last ${s.lastIndex}`;
}
