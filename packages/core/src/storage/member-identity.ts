import { BatonError } from '../errors.js';

/**
 * Whose log a dataDir holds: one member of one cluster. A member started on
 * another member's log and vote (a copied volume, a cloned VM, swapped
 * mounts) could vote twice in a term or claim entries it never received, so
 * the identity is recorded when the dataDir is first used and checked on
 * every start.
 *
 * The cluster is identified by its `clusterName` and the ids of its initial
 * members, as etcd derives its cluster id from the initial cluster and its
 * token: every member can compute it from its own options before it talks to
 * anyone, so a mismatch is caught before the log is read. URLs are left out
 * on purpose: each member may reach a peer at its own address.
 */
export interface DataDirIdentity {
  readonly memberId: string;
  readonly clusterName: string;
  /** The initial members' ids, sorted. */
  readonly initialMembers: readonly string[];
}

/** The identity a member with these options expects its dataDir to have. */
export function identityOf(
  memberId: string,
  clusterName: string,
  memberIds: readonly string[],
): DataDirIdentity {
  return { memberId, clusterName, initialMembers: [...memberIds].sort() };
}

/** What to do with a dataDir's recorded identity. */
export type IdentityDecision =
  /** It matches: nothing to write. */
  | { readonly action: 'keep' }
  /**
   * Record `expected`: the dataDir is new, or (`adopted`) it holds a log
   * written before identities were recorded, which is adopted once.
   */
  | { readonly action: 'record'; readonly adopted: boolean }
  /** Another member's or another cluster's dataDir: BATON_CONFIG naming dataDir. */
  | { readonly action: 'refuse'; readonly error: BatonError };

/**
 * Decides whether a member whose options give `expected` may use a dataDir
 * that records `recorded` (undefined: nothing recorded) and holds a log or
 * not (`holdsLog`). Pure: the storage layer and the simulator's restart
 * model both call it.
 *
 * A log without an identity was written by an earlier version, which did not
 * record one; it is adopted (and the caller logs that it was), since
 * refusing would strand every upgraded member and nothing in the log says
 * whose it is.
 */
export function checkDataDirIdentity(
  dataDir: string,
  recorded: DataDirIdentity | undefined,
  expected: DataDirIdentity,
  holdsLog: boolean,
): IdentityDecision {
  if (recorded === undefined) return { action: 'record', adopted: holdsLog };
  if (sameIdentity(recorded, expected)) return { action: 'keep' };
  return {
    action: 'refuse',
    error: new BatonError(
      'BATON_CONFIG',
      `dataDir ${dataDir} belongs to ${describeIdentity(recorded)}, but this member is ${describeIdentity(expected)}: ` +
        'each member needs its own dataDir',
      { field: 'dataDir', value: dataDir },
    ),
  };
}

/** "member n1 of cluster 'billing' (members n1, n2, n3)", for messages. */
export function describeIdentity(identity: DataDirIdentity): string {
  const name =
    identity.clusterName === '' ? 'a cluster without a clusterName' : `cluster '${identity.clusterName}'`;
  return `member ${identity.memberId} of ${name} (members ${identity.initialMembers.join(', ')})`;
}

function sameIdentity(a: DataDirIdentity, b: DataDirIdentity): boolean {
  return (
    a.memberId === b.memberId &&
    a.clusterName === b.clusterName &&
    a.initialMembers.length === b.initialMembers.length &&
    a.initialMembers.every((id, i) => id === b.initialMembers[i])
  );
}

/** The identity file's text. */
export function encodeIdentity(identity: DataDirIdentity): string {
  const { memberId, clusterName, initialMembers } = identity;
  return `${JSON.stringify({ version: 1, memberId, clusterName, initialMembers })}\n`;
}

/** Parses an identity file; undefined when it is not one (the caller reports the damage). */
export function decodeIdentity(text: string): DataDirIdentity | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { version, memberId, clusterName, initialMembers } = value as Record<string, unknown>;
  if (version !== 1 || typeof memberId !== 'string' || typeof clusterName !== 'string') return undefined;
  if (!Array.isArray(initialMembers) || !initialMembers.every((id) => typeof id === 'string'))
    return undefined;
  return identityOf(memberId, clusterName, initialMembers as string[]);
}
