/**
 * `@baton/core/sim`: the deterministic simulator. It drives the production
 * raft/ core with a virtual clock, a seeded network and crash-prone disks,
 * and checks Raft's safety properties and the leader lease after every event.
 */
export type { AppliedRecord } from './apply-checker.js';
export { ApplyChecker } from './apply-checker.js';
export { SafetyCheckers } from './checkers.js';
export { describeMessage, describeReady } from './describe.js';
export type { TimedEvent } from './event-queue.js';
export { EventQueue } from './event-queue.js';
export type { FaultTarget } from './fault-injector.js';
export { FaultInjector } from './fault-injector.js';
export type { InvariantName } from './invariant-violation.js';
export { INVARIANTS, InvariantViolation } from './invariant-violation.js';
export { LeaseChecker } from './lease-checker.js';
export { runLivenessPhase } from './liveness-phase.js';
export { LogChecker } from './log-checker.js';
export type { MemberView } from './member-view.js';
export { formatSeed, parseSeed, Rng } from './rng.js';
export type { SeedOutcome } from './run-seed.js';
export { replayCommand, runSeed } from './run-seed.js';
export type { RuntimeSimOptions, TokenRecord } from './runtime/runtime-sim.js';
export { RuntimeSim } from './runtime/runtime-sim.js';
export { SimClient } from './sim-client.js';
export { LocalClock, pickLocalClock, SimClock, US_PER_MS } from './sim-clock.js';
export type { RunUntilOptions } from './sim-cluster.js';
export { SimCluster } from './sim-cluster.js';
export type { DiskWrite, DurableState } from './sim-disk.js';
export { SimDisk } from './sim-disk.js';
export type { MemberHost, SimMemberConfig } from './sim-member.js';
export { SimMember } from './sim-member.js';
export type { Delivery, MessageInterceptor, NetworkFaults, NetworkStats } from './sim-network.js';
export { RELIABLE_NETWORK, SimNetwork } from './sim-network.js';
export type { ResolvedSimulatorOptions, SimRaftOptions, SimulatorOptions } from './sim-options.js';
export { describeOptions, FAST_NETWORK, leaseMsFor, resolveSimulatorOptions } from './sim-options.js';
export { SimStateMachine } from './sim-state-machine.js';
export type { SimResult } from './simulator.js';
export { Simulator } from './simulator.js';
export { Trace } from './trace.js';
