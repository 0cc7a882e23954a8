import { ByteReader } from '../codec/byte-reader.js';
import { ByteWriter } from '../codec/byte-writer.js';
import { BatonError } from '../errors.js';
import type { LockSpace } from './coordination-commands.js';
import type { CoordinationLimits } from './coordination-limits.js';
import { NAME_BYTES_MAX, OWNER_BYTES_MAX, VALUE_BYTES_MAX } from './coordination-limits.js';
import {
  CoordinationTables,
  compareKeys,
  type LockGrant,
  type LockRequest,
  lockKey,
} from './coordination-tables.js';
import { checkCommand } from './validate-command.js';

const SNAPSHOT_VERSION = 1;
const SPACE_LOCK = 0;
const SPACE_ELECTION = 1;

/**
 * Encodes the tables canonically: leases by id, locks by key, each lock's
 * waiters oldest first. The bytes depend only on the state, never on the
 * order things were inserted, so members that applied the same entries —
 * some of them restored from a snapshot on the way — produce equal bytes.
 */
export function encodeCoordinationSnapshot(tables: CoordinationTables): Uint8Array {
  const w = new ByteWriter({ initialBytes: Math.max(256, tables.stateBytes + 64) });
  w.uint8(SNAPSHOT_VERSION);
  const leases = [...tables.leases.values()].sort((a, b) => a.leaseId - b.leaseId);
  w.varUint(leases.length);
  for (const lease of leases) w.varUint(lease.leaseId).varUint(lease.ttlMs).string(lease.owner);
  const keys = [...tables.locks.keys()].sort(compareKeys);
  w.varUint(keys.length);
  for (const key of keys) {
    const lock = tables.locks.get(key);
    if (!lock) continue;
    w.uint8(lock.space === 'election' ? SPACE_ELECTION : SPACE_LOCK).string(lock.name);
    writeRequest(w, lock.holder);
    w.varUint(lock.holder.fencingToken);
    w.varUint(lock.waiters.length);
    for (const waiter of lock.waiters) writeRequest(w, waiter);
  }
  return w.finish();
}

/**
 * Decodes a snapshot into fresh tables. Beyond the format it checks what the
 * state machine never breaks — ids in order, every request's lease alive,
 * waiters in acquire order behind their holder, valid names and owners — and
 * throws `BatonError('BATON_STORAGE_CORRUPT')` if anything is off.
 */
export function decodeCoordinationSnapshot(data: Uint8Array, limits: CoordinationLimits): CoordinationTables {
  try {
    return readTables(new ByteReader(data), limits);
  } catch (error) {
    throw new BatonError('BATON_STORAGE_CORRUPT', 'coordination snapshot cannot be decoded', {
      cause: error,
    });
  }
}

function readTables(r: ByteReader, limits: CoordinationLimits): CoordinationTables {
  const version = r.uint8('snapshot version');
  if (version !== SNAPSHOT_VERSION) throw new Error(`unknown coordination snapshot version ${version}`);
  // Bounds are checked against the limits only as a guard against garbage:
  // a state the same code wrote never exceeds them.
  const tables = new CoordinationTables(limits);
  const leaseCount = r.count('lease count', limits.leasesMax);
  let lastLeaseId = 0;
  for (let i = 0; i < leaseCount; i++) {
    const leaseId = r.varUint('leaseId');
    const ttlMs = r.varUint('ttlMs');
    const owner = r.string('owner', OWNER_BYTES_MAX);
    if (leaseId <= lastLeaseId) throw new Error(`lease ${leaseId} out of order`);
    const problem = checkCommand({ type: 'grantLease', ttlMs, owner });
    if (problem) throw new Error(`lease ${leaseId}: ${problem.message}`);
    tables.addLease(leaseId, ttlMs, owner);
    lastLeaseId = leaseId;
  }
  const lockCount = r.count('lock count', limits.locksMax);
  let lastKey: string | undefined;
  for (let i = 0; i < lockCount; i++) {
    const spaceByte = r.uint8('space');
    if (spaceByte !== SPACE_LOCK && spaceByte !== SPACE_ELECTION)
      throw new Error(`unknown space ${spaceByte}`);
    const space: LockSpace = spaceByte === SPACE_ELECTION ? 'election' : 'lock';
    const name = r.string('name', NAME_BYTES_MAX);
    const key = lockKey(space, name);
    if (lastKey !== undefined && compareKeys(lastKey, key) >= 0) throw new Error(`lock ${key} out of order`);
    const problem = checkCommand({ type: 'release', space, name, leaseId: 1, fencingToken: 1 });
    if (problem) throw new Error(`lock ${key}: ${problem.message}`);
    const request = readRequest(r, tables);
    const holder: LockGrant = { ...request, fencingToken: r.varUint('fencingToken') };
    if (holder.fencingToken < holder.waiterId) throw new Error(`${key} granted before it was asked for`);
    const lock = tables.createLock(space, name, holder);
    const waiterCount = r.count('waiter count', limits.waitersPerLockMax);
    let lastWaiterId = holder.waiterId;
    for (let j = 0; j < waiterCount; j++) {
      const waiter = readRequest(r, tables);
      // FIFO by acquire index: each waiter asked after the one before it, all after the holder.
      if (waiter.waiterId <= lastWaiterId) throw new Error(`${key}: waiter ${waiter.waiterId} out of order`);
      tables.enqueue(lock, waiter);
      lastWaiterId = waiter.waiterId;
    }
    lastKey = key;
  }
  r.end('coordination snapshot');
  return tables;
}

function writeRequest(w: ByteWriter, request: LockRequest): void {
  w.varUint(request.waiterId).varUint(request.leaseId);
  if (request.value === undefined) w.uint8(0);
  else w.uint8(1).string(request.value);
}

function readRequest(r: ByteReader, tables: CoordinationTables): LockRequest {
  const waiterId = r.varUint('waiterId');
  const leaseId = r.varUint('leaseId');
  const value = r.bool('has value') ? r.string('value', VALUE_BYTES_MAX) : undefined;
  if (!tables.leases.has(leaseId)) throw new Error(`request ${waiterId} of unknown lease ${leaseId}`);
  if (waiterId <= leaseId) throw new Error(`request ${waiterId} before its lease ${leaseId}`);
  return tables.request(waiterId, leaseId, value);
}
