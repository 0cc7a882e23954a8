/**
 * The gate between the wire and the Raft core: checks that a message is one
 * the core can take without further defensive code. It checks shapes and
 * ranges, not Raft semantics that depend on the receiver's state.
 */
import { BatonError, BatonErrorCodes } from '../errors.js';
import { KEEP_ALIVE_LEASES_MAX, type PeerMessage as Message } from '../peer-message.js';
import type { ClusterConfig, ConfigChange, Entry, SnapshotMeta } from '../raft/types.js';
import { MESSAGE_TYPES } from '../raft/types.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from './message-limits.js';
import { utf8ByteLength } from './utf8.js';

const KNOWN_TYPES: ReadonlySet<string> = new Set([
  ...MESSAGE_TYPES,
  'forward',
  'forwardResp',
  'keepAlive',
  'keepAliveResp',
]);

/**
 * Throws `BatonError('BATON_PROTOCOL')`, naming the field, unless `msg`:
 * has a known type; has member ids (and read request ids) that are non-empty
 * strings of at most `idBytesMax` UTF-8 bytes; has terms, indexes, rounds and
 * commits that are safe non-negative integers and booleans that are booleans;
 * and, for an append, carries at most `entriesMax` entries with indexes
 * `prevLogIndex+1, +2, …`, terms never decreasing from `prevLogTerm` and never
 * above the message's term (a Raft log's terms only grow, and a leader's are
 * at most its current term), and command bytes within `bytesMax`; for a
 * snapshot, a term at most the message's, a configuration within
 * `membersMax`/`addressBytesMax`, and data within `bytesMax`.
 *
 * It checks the type of every field it reads, so it also guards messages
 * that did not come from the decoder (tests, the simulator, other codecs).
 */
export function validateMessage(msg: Message, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): void {
  try {
    checkMessage(msg, limits);
  } catch (e) {
    if (e instanceof ValidationFailure) {
      throw new BatonError('BATON_PROTOCOL', `invalid message: ${e.field}: ${e.problem}`);
    }
    throw e;
  }
}

/**
 * Thrown inside this module and turned into a BatonError at the top, so that
 * per-entry checks can use constant field names and the entry's position is
 * added only when something fails (building names eagerly costs more than the checks).
 */
class ValidationFailure {
  constructor(
    public field: string,
    readonly problem: string,
  ) {}
}

function checkMessage(msg: Message, limits: MessageLimits): void {
  checkObject(msg, 'message');
  const type: unknown = msg.type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type))
    fail('type', `unknown message type ${String(type)}`);
  checkId(msg.from, `${type}.from`, limits);
  checkId(msg.to, `${type}.to`, limits);
  checkUint(msg.term, `${type}.term`);
  switch (msg.type) {
    case 'vote':
    case 'preVote':
      checkUint(msg.lastLogIndex, `${type}.lastLogIndex`);
      checkTermAtMost(msg.lastLogTerm, msg.term, `${type}.lastLogTerm`);
      checkBool(msg.transfer, `${type}.transfer`);
      return;
    case 'voteResp':
    case 'preVoteResp':
      checkBool(msg.reject, `${type}.reject`);
      return;
    case 'append':
      checkAppend(msg, limits);
      return;
    case 'appendResp':
      checkBool(msg.reject, 'appendResp.reject');
      checkUint(msg.index, 'appendResp.index');
      checkUint(msg.hintIndex, 'appendResp.hintIndex');
      checkUint(msg.hintTerm, 'appendResp.hintTerm');
      return;
    case 'heartbeat':
      checkUint(msg.commit, 'heartbeat.commit');
      checkUint(msg.round, 'heartbeat.round');
      return;
    case 'heartbeatResp':
      checkUint(msg.round, 'heartbeatResp.round');
      return;
    case 'snapshot':
      checkObject(msg.snapshot, 'snapshot.snapshot');
      checkSnapshot(msg.snapshot.meta, msg.snapshot.data, msg.term, limits);
      return;
    case 'timeoutNow':
      return;
    case 'readIndex':
      checkId(msg.requestId, 'readIndex.requestId', limits);
      return;
    case 'readIndexResp':
      checkId(msg.requestId, 'readIndexResp.requestId', limits);
      checkUint(msg.index, 'readIndexResp.index');
      checkBool(msg.reject, 'readIndexResp.reject');
      return;
    case 'forward':
      checkId(msg.requestId, 'forward.requestId', limits);
      checkBytes(msg.data, 'forward.data', limits.bytesMax);
      return;
    case 'forwardResp':
      checkId(msg.requestId, 'forwardResp.requestId', limits);
      checkUint(msg.index, 'forwardResp.index');
      checkUint(msg.entryTerm, 'forwardResp.entryTerm');
      checkErrorCode(msg.errorCode, 'forwardResp.errorCode');
      return;
    case 'keepAlive':
      checkId(msg.requestId, 'keepAlive.requestId', limits);
      checkUintList(msg.leaseIds, 'keepAlive.leaseIds');
      return;
    case 'keepAliveResp':
      checkId(msg.requestId, 'keepAliveResp.requestId', limits);
      checkErrorCode(msg.errorCode, 'keepAliveResp.errorCode');
      checkUintList(msg.ttlsMs, 'keepAliveResp.ttlsMs');
      return;
  }
}

function checkErrorCode(code: unknown, field: string): void {
  if (code !== '' && !(BatonErrorCodes as readonly unknown[]).includes(code)) {
    fail(field, `unknown error code ${String(code)}`);
  }
}

/** A list of at most KEEP_ALIVE_LEASES_MAX safe non-negative integers. */
function checkUintList(list: unknown, field: string): void {
  if (!Array.isArray(list)) fail(field, 'not a list');
  if (list.length > KEEP_ALIVE_LEASES_MAX)
    fail(field, `${list.length} items, above ${KEEP_ALIVE_LEASES_MAX}`);
  for (const value of list) checkUint(value, field);
}

function checkAppend(msg: Extract<Message, { type: 'append' }>, limits: MessageLimits): void {
  checkUint(msg.prevLogIndex, 'append.prevLogIndex');
  checkTermAtMost(msg.prevLogTerm, msg.term, 'append.prevLogTerm');
  checkUint(msg.commit, 'append.commit');
  if (!Array.isArray(msg.entries)) fail('append.entries', 'not an array');
  if (msg.entries.length > limits.entriesMax) {
    fail('append.entries', `${msg.entries.length} entries, more than entriesMax ${limits.entriesMax}`);
  }
  let previousTerm = msg.prevLogTerm;
  let payloadBytes = 0;
  for (let i = 0; i < msg.entries.length; i++) {
    const entry = msg.entries[i]!;
    try {
      checkEntry(entry, limits);
      const expectedIndex = msg.prevLogIndex + 1 + i;
      if (entry.index !== expectedIndex) fail('index', `${entry.index}, expected ${expectedIndex}`);
      if (entry.term > msg.term) fail('term', `${entry.term} above the message term ${msg.term}`);
      if (entry.term < previousTerm) fail('term', `${entry.term} below the previous term ${previousTerm}`);
    } catch (e) {
      if (e instanceof ValidationFailure) e.field = `append.entries[${i}].${e.field}`;
      throw e;
    }
    previousTerm = entry.term;
    if (entry.type === 'command') payloadBytes += entry.data.length;
  }
  if (payloadBytes > limits.bytesMax) fail('append.entries', `${payloadBytes} command bytes, above bytesMax`);
}

/** Field names here are relative to the entry; checkAppend prefixes its position on failure. */
function checkEntry(entry: Entry, limits: MessageLimits): void {
  checkObject(entry, 'entry');
  checkUint(entry.term, 'term');
  checkUint(entry.index, 'index');
  switch (entry.type) {
    case 'command':
      checkBytes(entry.data, 'data', limits.bytesMax);
      return;
    case 'config':
      checkConfigChange(entry.change, 'change', limits);
      return;
    case 'noop':
      return;
    default:
      fail('type', `unknown entry type ${String((entry as { type: unknown }).type)}`);
  }
}

function checkConfigChange(change: ConfigChange, field: string, limits: MessageLimits): void {
  checkObject(change, field);
  const op: unknown = change.op;
  if (op !== 'addVoter' && op !== 'addLearner' && op !== 'removeMember') {
    fail(`${field}.op`, `unknown op ${String(op)}`);
  }
  checkId(change.id, `${field}.id`, limits);
  if (change.op !== 'removeMember' && change.address !== undefined) {
    checkAddress(change.address, `${field}.address`, limits);
  }
}

function checkSnapshot(meta: SnapshotMeta, data: Uint8Array, term: number, limits: MessageLimits): void {
  checkObject(meta, 'snapshot.meta');
  checkUint(meta.index, 'snapshot.meta.index');
  checkTermAtMost(meta.term, term, 'snapshot.meta.term');
  checkConfig(meta.config, 'snapshot.meta.config', limits);
  checkBytes(data, 'snapshot.data', limits.bytesMax);
}

function checkConfig(config: ClusterConfig, field: string, limits: MessageLimits): void {
  checkObject(config, field);
  checkObject(config.addresses, `${field}.addresses`);
  checkIds(config.voters, `${field}.voters`, limits);
  checkIds(config.learners, `${field}.learners`, limits);
  const addresses = Object.entries(config.addresses);
  if (addresses.length > limits.membersMax)
    fail(`${field}.addresses`, `more than membersMax ${limits.membersMax}`);
  for (const [id, address] of addresses) {
    checkId(id, `${field}.addresses`, limits);
    checkAddress(address, `${field}.addresses[${JSON.stringify(id)}]`, limits);
  }
}

function checkIds(ids: readonly string[], field: string, limits: MessageLimits): void {
  if (!Array.isArray(ids)) fail(field, 'not an array');
  if (ids.length > limits.membersMax)
    fail(field, `${ids.length} members, more than membersMax ${limits.membersMax}`);
  const seen = new Set<string>();
  for (const id of ids) {
    checkId(id, field, limits);
    if (seen.has(id)) fail(field, `member ${JSON.stringify(id)} listed twice`);
    seen.add(id);
  }
}

function checkId(id: unknown, field: string, limits: MessageLimits): void {
  if (typeof id !== 'string' || id.length === 0) fail(field, 'not a non-empty string');
  // A UTF-16 unit is at most 3 UTF-8 bytes, so most ids skip the byte count.
  if (id.length * 3 > limits.idBytesMax && utf8ByteLength(id) > limits.idBytesMax) {
    fail(field, `more than idBytesMax ${limits.idBytesMax} UTF-8 bytes`);
  }
}

function checkAddress(address: unknown, field: string, limits: MessageLimits): void {
  if (typeof address !== 'string' || address.length === 0) fail(field, 'not a non-empty string');
  if (utf8ByteLength(address) > limits.addressBytesMax) {
    fail(field, `more than addressBytesMax ${limits.addressBytesMax} UTF-8 bytes`);
  }
}

function checkBytes(data: unknown, field: string, bytesMax: number): void {
  if (!(data instanceof Uint8Array)) fail(field, 'not a Uint8Array');
  if (data.length > bytesMax) fail(field, `${data.length} bytes, above bytesMax ${bytesMax}`);
}

function checkObject(value: unknown, field: string): void {
  if (typeof value !== 'object' || value === null) fail(field, 'not an object');
}

function checkUint(value: unknown, field: string): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(field, `${String(value)} is not a safe non-negative integer`);
  }
}

function checkTermAtMost(value: unknown, term: number, field: string): void {
  checkUint(value, field);
  if ((value as number) > term) fail(field, `${String(value)} above the message term ${term}`);
}

function checkBool(value: unknown, field: string): void {
  if (typeof value !== 'boolean') fail(field, `${String(value)} is not a boolean`);
}

function fail(field: string, problem: string): never {
  throw new ValidationFailure(field, problem);
}
