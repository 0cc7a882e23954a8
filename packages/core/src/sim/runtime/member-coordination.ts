import type { ResolvedClusterOptions } from '../../cluster-options.js';
import { Coordination } from '../../coordination.js';
import type { Env } from '../../env.js';
import { silentLogger } from '../../env.js';
import type { PeerMessage } from '../../peer-message.js';
import type { MemberId } from '../../raft/types.js';
import type { CoordinationMachine } from '../../runtime/coordination-machine.js';
import type { Forwarder } from '../../runtime/forwarder.js';
import { LeaseService } from '../../runtime/lease-service.js';
import type { NodeLoop } from '../../runtime/node-loop.js';

/** Cluster's default request timeout (cluster.ts, DEFAULT_REQUEST_TIMEOUT_MS): revocations, releases, grants. */
export const REQUEST_TIMEOUT_MS = 5000;

/** The coordination services of one member incarnation, as Cluster builds them. */
export interface MemberCoordination {
  readonly coordination: Coordination;
  readonly leases: LeaseService;
}

/**
 * Builds a member's coordination surface and lease service exactly as
 * `Cluster`'s constructor does (cluster.ts), over the member's own loop,
 * forwarder, coordination machine and simulated links, so the lock recipe,
 * the lease keeper and the lease client the simulation drives are the
 * production ones with production timeouts.
 */
export function buildMemberCoordination(parts: {
  readonly id: MemberId;
  readonly options: ResolvedClusterOptions;
  readonly env: Env;
  readonly loop: NodeLoop;
  readonly forwarder: Forwarder;
  readonly machine: CoordinationMachine;
  readonly send: (m: PeerMessage) => boolean;
}): MemberCoordination {
  const { id, options, env, loop, forwarder, machine, send } = parts;
  return {
    coordination: new Coordination(machine, forwarder, REQUEST_TIMEOUT_MS, env),
    leases: new LeaseService({
      memberId: id,
      env,
      driftBound: options.driftBound,
      logger: silentLogger,
      machine,
      loop,
      submit: (payload, o) => forwarder.submit(payload, o),
      send,
      // As Cluster: a keep-alive unanswered after a maximum election timeout is lost, or the leader is gone.
      answerTimeoutMs: options.electionTimeoutMs[1],
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
    }),
  };
}
