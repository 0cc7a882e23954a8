import type { ClusterConfig, ConfigChange, MemberId } from './types.js';

/** The configuration of a brand-new cluster: every initial member votes. */
export function initialConfig(voters: readonly MemberId[]): ClusterConfig {
  return { voters: [...voters].sort(), learners: [], addresses: {} };
}

/**
 * Applies one single-server change (dissertation §4.1). Adding a voter that
 * is a learner promotes it; adding an existing voter as a learner demotes it;
 * removing an unknown member changes nothing.
 */
export function applyConfigChange(config: ClusterConfig, change: ConfigChange): ClusterConfig {
  const voters = config.voters.filter((id) => id !== change.id);
  const learners = config.learners.filter((id) => id !== change.id);
  // A null-prototype copy: a member id such as '__proto__' stays plain data.
  const addresses: Record<MemberId, string> = Object.assign(Object.create(null), config.addresses);
  if (change.op === 'removeMember') {
    delete addresses[change.id];
  } else {
    (change.op === 'addVoter' ? voters : learners).push(change.id);
    if (change.address !== undefined) addresses[change.id] = change.address;
  }
  return { voters: voters.sort(), learners: learners.sort(), addresses };
}

export function isVoter(config: ClusterConfig, id: MemberId): boolean {
  return config.voters.includes(id);
}

export function isMember(config: ClusterConfig, id: MemberId): boolean {
  return config.voters.includes(id) || config.learners.includes(id);
}

/** Every member that receives the log: voters and learners. */
export function allMembers(config: ClusterConfig): MemberId[] {
  return [...config.voters, ...config.learners];
}
