/**
 * Binary encoding of the Raft core's persistent values — log entries, hard
 * state and snapshot metadata — shared by the write-ahead log and the wire
 * codec. Layouts (integers are varUint unless noted):
 *
 *   entry        type:uint8 term index  then  command: data:bytes
 *                                              noop:    nothing
 *                                              config:  change
 *   change       op:uint8 id:string  then  addVoter/addLearner: hasAddress:bool [address:string]
 *   hard state   term hasVote:bool [vote:string] commit
 *   snapshot meta index term config
 *   config       voters:count id:string…  learners:count id:string…  addresses:count (id:string address:string)…
 *
 * Decoders check structure only (tags, ranges, lengths, UTF-8, no duplicate
 * address keys); limits on ids and counts belong to the caller, e.g.
 * `validateMessage`. Every decoder failure is `BatonError('BATON_PROTOCOL')`.
 */
import { BatonError } from '../errors.js';
import type { ClusterConfig, ConfigChange, Entry, HardState, MemberId, SnapshotMeta } from '../raft/types.js';
import type { ByteReader } from './byte-reader.js';
import type { ByteWriter } from './byte-writer.js';

/** Wire tags of entry types. Stable: never renumber, only add. */
export const ENTRY_TYPE_TAGS = { command: 0, noop: 1, config: 2 } as const;

/** Wire tags of configuration change operations. Stable: never renumber, only add. */
export const CONFIG_OP_TAGS = { addVoter: 0, addLearner: 1, removeMember: 2 } as const;

/** Appends `entry` to `w`. Throws BATON_PROTOCOL if a field cannot be encoded (e.g. a negative index). */
export function encodeEntry(w: ByteWriter, entry: Entry): void {
  const tag: number | undefined = ENTRY_TYPE_TAGS[entry.type];
  if (tag === undefined)
    throw new BatonError('BATON_PROTOCOL', `cannot encode entry type ${String(entry.type)}`);
  w.uint8(tag).varUint(entry.term).varUint(entry.index);
  if (entry.type === 'command') w.bytes(entry.data);
  else if (entry.type === 'config') encodeConfigChange(w, entry.change);
}

/** Reads one entry written by {@link encodeEntry}; `data` is a copy, independent of the input buffer. */
export function decodeEntry(r: ByteReader): Entry {
  const at = r.offset;
  const tag = r.uint8('entry.type');
  const term = r.varUint('entry.term');
  const index = r.varUint('entry.index');
  switch (tag) {
    case ENTRY_TYPE_TAGS.command:
      return { type: 'command', term, index, data: r.bytes('entry.data') };
    case ENTRY_TYPE_TAGS.noop:
      return { type: 'noop', term, index };
    case ENTRY_TYPE_TAGS.config:
      return { type: 'config', term, index, change: decodeConfigChange(r) };
    default:
      throw new BatonError('BATON_PROTOCOL', `entry.type: unknown tag ${tag} at offset ${at}`);
  }
}

function encodeConfigChange(w: ByteWriter, change: ConfigChange): void {
  const tag: number | undefined = CONFIG_OP_TAGS[change.op];
  if (tag === undefined)
    throw new BatonError('BATON_PROTOCOL', `cannot encode config op ${String(change.op)}`);
  w.uint8(tag).string(change.id);
  if (change.op === 'removeMember') return;
  w.bool(change.address !== undefined);
  if (change.address !== undefined) w.string(change.address);
}

function decodeConfigChange(r: ByteReader): ConfigChange {
  const at = r.offset;
  const tag = r.uint8('change.op');
  const id = r.string('change.id');
  if (tag === CONFIG_OP_TAGS.removeMember) return { op: 'removeMember', id };
  if (tag !== CONFIG_OP_TAGS.addVoter && tag !== CONFIG_OP_TAGS.addLearner) {
    throw new BatonError('BATON_PROTOCOL', `change.op: unknown tag ${tag} at offset ${at}`);
  }
  const op = tag === CONFIG_OP_TAGS.addVoter ? 'addVoter' : 'addLearner';
  // Leave `address` out rather than set it to undefined, so a decoded change equals the one encoded.
  return r.bool('change.hasAddress') ? { op, id, address: r.string('change.address') } : { op, id };
}

/** Appends `state` to `w`. */
export function encodeHardState(w: ByteWriter, state: HardState): void {
  w.varUint(state.term).bool(state.vote !== undefined);
  if (state.vote !== undefined) w.string(state.vote);
  w.varUint(state.commit);
}

/** Reads a hard state written by {@link encodeHardState}. */
export function decodeHardState(r: ByteReader): HardState {
  const term = r.varUint('hardState.term');
  const vote = r.bool('hardState.hasVote') ? r.string('hardState.vote') : undefined;
  const commit = r.varUint('hardState.commit');
  return { term, vote, commit };
}

/** Appends `meta` (with its cluster configuration) to `w`. */
export function encodeSnapshotMeta(w: ByteWriter, meta: SnapshotMeta): void {
  w.varUint(meta.index).varUint(meta.term);
  encodeClusterConfig(w, meta.config);
}

/** Reads snapshot metadata written by {@link encodeSnapshotMeta}. */
export function decodeSnapshotMeta(r: ByteReader): SnapshotMeta {
  const index = r.varUint('snapshot.index');
  const term = r.varUint('snapshot.term');
  return { index, term, config: decodeClusterConfig(r) };
}

/** Appends `config` to `w`; addresses go in the order `Object.entries` lists them. */
export function encodeClusterConfig(w: ByteWriter, config: ClusterConfig): void {
  encodeIds(w, config.voters);
  encodeIds(w, config.learners);
  const addresses = Object.entries(config.addresses);
  w.varUint(addresses.length);
  for (const [id, address] of addresses) w.string(id).string(address);
}

/** Reads a configuration written by {@link encodeClusterConfig}; a repeated address key is refused. */
export function decodeClusterConfig(r: ByteReader): ClusterConfig {
  const voters = decodeIds(r, 'config.voters');
  const learners = decodeIds(r, 'config.learners');
  const count = r.count('config.addresses');
  const pairs: [MemberId, string][] = [];
  const seen = new Set<MemberId>();
  for (let i = 0; i < count; i++) {
    const id = r.string('config.addresses.id');
    if (seen.has(id))
      throw new BatonError('BATON_PROTOCOL', `config.addresses: id ${JSON.stringify(id)} repeated`);
    seen.add(id);
    pairs.push([id, r.string('config.addresses.address')]);
  }
  // fromEntries defines own properties, so an id such as '__proto__' stays data and never touches a prototype.
  return { voters, learners, addresses: Object.fromEntries(pairs) };
}

function encodeIds(w: ByteWriter, ids: readonly MemberId[]): void {
  w.varUint(ids.length);
  for (const id of ids) w.string(id);
}

function decodeIds(r: ByteReader, what: string): MemberId[] {
  const count = r.count(what);
  const ids: MemberId[] = [];
  for (let i = 0; i < count; i++) ids.push(r.string(what));
  return ids;
}
