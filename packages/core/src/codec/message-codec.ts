/**
 * The wire format of peer messages. A frame is
 *
 *   version:uint8 (= WIRE_VERSION)  type:uint8  from:string  to:string  term:varUint  body
 *
 * with one body layout per message type (integers are varUint):
 *
 *   vote, preVote          lastLogIndex lastLogTerm transfer:bool
 *   voteResp, preVoteResp  reject:bool
 *   append                 prevLogIndex prevLogTerm commit entries:count entry…   (entry: see entry-codec)
 *   appendResp             reject:bool index hintIndex hintTerm
 *   heartbeat              commit round
 *   heartbeatResp          round
 *   snapshot               meta (see entry-codec) data:bytes
 *   timeoutNow             nothing
 *   readIndex              requestId:string
 *   readIndexResp          requestId:string index reject:bool
 *   forward                requestId:string data:bytes
 *   forwardResp            requestId:string index entryTerm errorCode:string
 *   keepAlive              requestId:string leaseIds:count leaseId…
 *   keepAliveResp          requestId:string errorCode:string ttlsMs:count ttlMs…
 *
 * The encoding is canonical (minimal varUints, booleans 0/1, no padding), so
 * every message has exactly one frame.
 */
import { BatonError, type BatonErrorCode, BatonErrorCodes } from '../errors.js';
import {
  KEEP_ALIVE_LEASES_MAX,
  type PeerMessage as Message,
  type PeerMessageType as MessageType,
} from '../peer-message.js';
import type { Entry } from '../raft/types.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { decodeEntry, decodeSnapshotMeta, encodeEntry, encodeSnapshotMeta } from './entry-codec.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from './message-limits.js';
import { validateMessage } from './validate-message.js';

/** The frame format version this codec writes and the only one it reads. */
export const WIRE_VERSION = 1;

/** Wire tags of message types. Stable: never renumber, only add. */
export const MESSAGE_TYPE_TAGS: Readonly<Record<MessageType, number>> = Object.freeze({
  vote: 1,
  preVote: 2,
  voteResp: 3,
  preVoteResp: 4,
  append: 5,
  appendResp: 6,
  heartbeat: 7,
  heartbeatResp: 8,
  snapshot: 9,
  timeoutNow: 10,
  readIndex: 11,
  readIndexResp: 12,
  forward: 13,
  forwardResp: 14,
  keepAlive: 15,
  keepAliveResp: 16,
});

const TYPES_BY_TAG: ReadonlyMap<number, MessageType> = new Map(
  Object.entries(MESSAGE_TYPE_TAGS).map(([type, tag]) => [tag, type as MessageType]),
);

/** Room for the header and a body without bulk data: two short ids and a few integers. */
const FIXED_BYTES_ESTIMATE = 64;
/** Per entry beyond its command bytes: tag, term, index and a length prefix, rounded up. */
const ENTRY_BYTES_ESTIMATE = 24;

/**
 * Encodes `msg` into one frame. It does not validate Raft rules (the sender
 * is trusted to follow them; the receiver validates), but refuses with
 * `BatonError('BATON_PROTOCOL')` any value it cannot represent (negative or
 * unsafe integers, unknown types) and frames over `limits.bytesMax`.
 * The result is a view of a slab shared with other frames (ByteWriter):
 * keep it as long as needed, but never write to it.
 */
export function encodeMessage(msg: Message, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): Uint8Array {
  const tag: number | undefined = MESSAGE_TYPE_TAGS[msg.type];
  if (tag === undefined)
    throw new BatonError('BATON_PROTOCOL', `cannot encode message type ${String(msg.type)}`);
  const w = new ByteWriter({ initialBytes: estimateBytes(msg), bytesMax: limits.bytesMax });
  w.uint8(WIRE_VERSION).uint8(tag).string(msg.from).string(msg.to).varUint(msg.term);
  switch (msg.type) {
    case 'vote':
    case 'preVote':
      w.varUint(msg.lastLogIndex).varUint(msg.lastLogTerm).bool(msg.transfer);
      break;
    case 'voteResp':
    case 'preVoteResp':
      w.bool(msg.reject);
      break;
    case 'append':
      w.varUint(msg.prevLogIndex).varUint(msg.prevLogTerm).varUint(msg.commit).varUint(msg.entries.length);
      for (const entry of msg.entries) encodeEntry(w, entry);
      break;
    case 'appendResp':
      w.bool(msg.reject).varUint(msg.index).varUint(msg.hintIndex).varUint(msg.hintTerm);
      break;
    case 'heartbeat':
      w.varUint(msg.commit).varUint(msg.round);
      break;
    case 'heartbeatResp':
      w.varUint(msg.round);
      break;
    case 'snapshot':
      encodeSnapshotMeta(w, msg.snapshot.meta);
      w.bytes(msg.snapshot.data);
      break;
    case 'timeoutNow':
      break;
    case 'readIndex':
      w.string(msg.requestId);
      break;
    case 'readIndexResp':
      w.string(msg.requestId).varUint(msg.index).bool(msg.reject);
      break;
    case 'forward':
      w.string(msg.requestId).bytes(msg.data);
      break;
    case 'forwardResp':
      w.string(msg.requestId).varUint(msg.index).varUint(msg.entryTerm).string(msg.errorCode);
      break;
    case 'keepAlive':
      w.string(msg.requestId).varUint(msg.leaseIds.length);
      for (const id of msg.leaseIds) w.varUint(id);
      break;
    case 'keepAliveResp':
      w.string(msg.requestId).string(msg.errorCode).varUint(msg.ttlsMs.length);
      for (const ttl of msg.ttlsMs) w.varUint(ttl);
      break;
  }
  return w.finish();
}

/**
 * Decodes one frame and validates the message (see {@link validateMessage}).
 * Throws `BatonError('BATON_PROTOCOL')` naming what was wrong — frame over
 * `limits.bytesMax`, unknown version or type, truncation, trailing bytes, a
 * value out of range or over a limit — and never any other error. Byte
 * fields of the result are copies, independent of `bytes`.
 */
export function decodeMessage(bytes: Uint8Array, limits: MessageLimits = DEFAULT_MESSAGE_LIMITS): Message {
  if (bytes.length > limits.bytesMax) {
    throw new BatonError(
      'BATON_PROTOCOL',
      `frame of ${bytes.length} bytes, above bytesMax ${limits.bytesMax}`,
    );
  }
  const r = new ByteReader(bytes);
  const version = r.uint8('version');
  if (version !== WIRE_VERSION) {
    throw new BatonError(
      'BATON_PROTOCOL',
      `unsupported wire version ${version} (this member reads ${WIRE_VERSION})`,
    );
  }
  const tag = r.uint8('type');
  const type = TYPES_BY_TAG.get(tag);
  if (type === undefined) throw new BatonError('BATON_PROTOCOL', `unknown message type tag ${tag}`);
  const from = r.string('from', limits.idBytesMax);
  const to = r.string('to', limits.idBytesMax);
  const term = r.varUint('term');
  const msg = decodeBody(r, { type, from, to, term }, limits);
  r.end(type);
  validateMessage(msg, limits);
  return msg;
}

interface Header {
  readonly type: MessageType;
  readonly from: string;
  readonly to: string;
  readonly term: number;
}

function decodeBody(r: ByteReader, h: Header, limits: MessageLimits): Message {
  const { from, to, term } = h;
  switch (h.type) {
    case 'vote':
    case 'preVote': {
      const lastLogIndex = r.varUint('lastLogIndex');
      const lastLogTerm = r.varUint('lastLogTerm');
      return { type: h.type, from, to, term, lastLogIndex, lastLogTerm, transfer: r.bool('transfer') };
    }
    case 'voteResp':
    case 'preVoteResp':
      return { type: h.type, from, to, term, reject: r.bool('reject') };
    case 'append': {
      const prevLogIndex = r.varUint('prevLogIndex');
      const prevLogTerm = r.varUint('prevLogTerm');
      const commit = r.varUint('commit');
      // Checked against entriesMax before decoding, so a hostile count costs nothing.
      const count = r.count('entries', limits.entriesMax);
      const entries: Entry[] = [];
      for (let i = 0; i < count; i++) entries.push(decodeEntry(r));
      return { type: 'append', from, to, term, prevLogIndex, prevLogTerm, commit, entries };
    }
    case 'appendResp': {
      const reject = r.bool('reject');
      const index = r.varUint('index');
      const hintIndex = r.varUint('hintIndex');
      return {
        type: 'appendResp',
        from,
        to,
        term,
        reject,
        index,
        hintIndex,
        hintTerm: r.varUint('hintTerm'),
      };
    }
    case 'heartbeat': {
      const commit = r.varUint('commit');
      return { type: 'heartbeat', from, to, term, commit, round: r.varUint('round') };
    }
    case 'heartbeatResp':
      return { type: 'heartbeatResp', from, to, term, round: r.varUint('round') };
    case 'snapshot': {
      const meta = decodeSnapshotMeta(r);
      return { type: 'snapshot', from, to, term, snapshot: { meta, data: r.bytes('snapshot.data') } };
    }
    case 'timeoutNow':
      return { type: 'timeoutNow', from, to, term };
    case 'readIndex':
      return { type: 'readIndex', from, to, term, requestId: r.string('requestId', limits.idBytesMax) };
    case 'readIndexResp': {
      const requestId = r.string('requestId', limits.idBytesMax);
      const index = r.varUint('index');
      return { type: 'readIndexResp', from, to, term, requestId, index, reject: r.bool('reject') };
    }
    case 'forward': {
      const requestId = r.string('requestId', limits.idBytesMax);
      return { type: 'forward', from, to, term, requestId, data: r.bytes('forward.data') };
    }
    case 'forwardResp': {
      const requestId = r.string('requestId', limits.idBytesMax);
      const index = r.varUint('index');
      const entryTerm = r.varUint('entryTerm');
      const errorCode = readErrorCode(r, 'forwardResp');
      return { type: 'forwardResp', from, to, term, requestId, index, entryTerm, errorCode };
    }
    case 'keepAlive': {
      const requestId = r.string('requestId', limits.idBytesMax);
      const count = r.count('leaseIds', KEEP_ALIVE_LEASES_MAX);
      const leaseIds: number[] = [];
      for (let i = 0; i < count; i++) leaseIds.push(r.varUint('leaseId'));
      return { type: 'keepAlive', from, to, term, requestId, leaseIds };
    }
    case 'keepAliveResp': {
      const requestId = r.string('requestId', limits.idBytesMax);
      const errorCode = readErrorCode(r, 'keepAliveResp');
      const count = r.count('ttlsMs', KEEP_ALIVE_LEASES_MAX);
      const ttlsMs: number[] = [];
      for (let i = 0; i < count; i++) ttlsMs.push(r.varUint('ttlMs'));
      return { type: 'keepAliveResp', from, to, term, requestId, errorCode, ttlsMs };
    }
  }
}

/** An error code field: empty, or one of BatonErrorCodes. */
function readErrorCode(r: ByteReader, type: string): BatonErrorCode | '' {
  const errorCode = r.string('errorCode', 64);
  if (errorCode !== '' && !(BatonErrorCodes as readonly string[]).includes(errorCode)) {
    throw new BatonError('BATON_PROTOCOL', `${type}: unknown error code ${JSON.stringify(errorCode)}`);
  }
  return errorCode as BatonErrorCode | '';
}

function estimateBytes(msg: Message): number {
  if (msg.type === 'keepAlive') return FIXED_BYTES_ESTIMATE + 9 * msg.leaseIds.length;
  if (msg.type === 'keepAliveResp') return FIXED_BYTES_ESTIMATE + 9 * msg.ttlsMs.length;
  if (msg.type === 'snapshot') return FIXED_BYTES_ESTIMATE * 4 + msg.snapshot.data.length;
  if (msg.type === 'forward') return FIXED_BYTES_ESTIMATE * 2 + msg.data.length;
  if (msg.type !== 'append') return FIXED_BYTES_ESTIMATE;
  let bytes = FIXED_BYTES_ESTIMATE;
  for (const entry of msg.entries)
    bytes += ENTRY_BYTES_ESTIMATE + (entry.type === 'command' ? entry.data.length : 0);
  return bytes;
}
