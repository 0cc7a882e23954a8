/**
 * Compares the binary peer-message codec with JSON for AppendEntries
 * messages carrying 1 and 64 entries of 64-byte commands: encode and decode
 * throughput and bytes per message. Not a test; run with
 *
 *   pnpm exec tsx packages/core/bench/codec-bench.ts
 *
 * The JSON side is given its fairest form: command bytes as base64 strings
 * (about 4/3 the size; a number[] would be 2.5-4x), and it is charged for the
 * same work the binary path does — producing/consuming UTF-8 bytes (what a
 * WebSocket carries) and running validateMessage after parsing, which any
 * receiver must do.
 */
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { decodeMessage, encodeMessage } from '../src/codec/message-codec.js';
import { validateMessage } from '../src/codec/validate-message.js';
import type { Entry, Message } from '../src/raft/types.js';

const PAYLOAD_BYTES = 64;
const ROUNDS = 5;
const ROUND_MS = 400;

function appendMessage(entryCount: number): Message {
  const prevLogIndex = 1_234_567;
  const entries: Entry[] = Array.from({ length: entryCount }, (_, i) => ({
    type: 'command',
    term: 42,
    index: prevLogIndex + 1 + i,
    data: Uint8Array.from({ length: PAYLOAD_BYTES }, (_, j) => (i * 31 + j * 7) & 0xff),
  }));
  return {
    type: 'append',
    from: 'n1',
    to: 'n2',
    term: 42,
    prevLogIndex,
    prevLogTerm: 42,
    commit: prevLogIndex,
    entries,
  };
}

/** Message → JSON text → UTF-8 bytes, with command data as base64. */
function encodeJson(msg: Message): Uint8Array {
  if (msg.type !== 'append') throw new Error('bench only covers append');
  const entries = msg.entries.map((e) =>
    e.type === 'command'
      ? { ...e, data: Buffer.from(e.data.buffer, e.data.byteOffset, e.data.length).toString('base64') }
      : e,
  );
  return Buffer.from(JSON.stringify({ ...msg, entries }), 'utf8');
}

/** UTF-8 bytes → JSON.parse → Uint8Array payloads → validateMessage. */
function decodeJson(bytes: Uint8Array): Message {
  const parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  parsed.entries = parsed.entries.map((e: { type: string; data?: string }) =>
    e.type === 'command' ? { ...e, data: new Uint8Array(Buffer.from(e.data ?? '', 'base64')) } : e,
  );
  validateMessage(parsed);
  return parsed;
}

function encodeJsonNumberArray(msg: Message): Uint8Array {
  if (msg.type !== 'append') throw new Error('bench only covers append');
  const entries = msg.entries.map((e) => (e.type === 'command' ? { ...e, data: Array.from(e.data) } : e));
  return Buffer.from(JSON.stringify({ ...msg, entries }), 'utf8');
}

let sink = 0;

/** Ops/s of one timed run of `fn` lasting about ROUND_MS. */
function runRound(fn: () => unknown): number {
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < 100; i++) {
      const out = fn();
      sink += typeof out === 'object' ? 1 : 0;
    }
    ops += 100;
    elapsed = performance.now() - start;
  }
  return (ops * 1000) / elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Times `binary` and `json` in alternating rounds (after one warm-up round
 * each), so both see the same background load on a shared machine; returns
 * the median ops/s of each and the median of the per-round ratios.
 */
function compare(
  binary: () => unknown,
  json: () => unknown,
): { binary: number; json: number; ratio: number } {
  runRound(binary);
  runRound(json);
  const binaryRates: number[] = [];
  const jsonRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const b = runRound(binary);
    const j = runRound(json);
    binaryRates.push(b);
    jsonRates.push(j);
    ratios.push(b / j);
  }
  return { binary: median(binaryRates), json: median(jsonRates), ratio: median(ratios) };
}

function format(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const header = ['message', 'codec', 'bytes', 'encode ops/s', 'decode ops/s'];
const rows: string[][] = [header];
for (const entryCount of [1, 64]) {
  const msg = appendMessage(entryCount);
  const binary = encodeMessage(msg);
  const json = encodeJson(msg);
  // Both decoders must give back the message, or the comparison means nothing.
  if (JSON.stringify(decodeMessage(binary), replacer) !== JSON.stringify(msg, replacer))
    throw new Error('binary');
  if (JSON.stringify(decodeJson(json), replacer) !== JSON.stringify(msg, replacer)) throw new Error('json');
  const encode = compare(
    () => encodeMessage(msg),
    () => encodeJson(msg),
  );
  const decode = compare(
    () => decodeMessage(binary),
    () => decodeJson(json),
  );
  const name = `append, ${entryCount} x ${PAYLOAD_BYTES} B`;
  rows.push([name, 'binary', String(binary.length), format(encode.binary), format(decode.binary)]);
  rows.push([name, 'JSON+base64', String(json.length), format(encode.json), format(decode.json)]);
  rows.push([
    name,
    'binary / JSON',
    (binary.length / json.length).toFixed(2),
    `${encode.ratio.toFixed(1)}x`,
    `${decode.ratio.toFixed(1)}x`,
  ]);
  rows.push([name, 'JSON+number[]', String(encodeJsonNumberArray(msg).length), '-', '-']);
  rows.push([name, '(validateMessage alone)', '-', '-', format(runRound(() => validateMessage(msg)))]);
}

function replacer(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Array.from(value) : value;
}

const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
for (const row of rows) console.log(row.map((cell, col) => cell.padEnd(widths[col]!)).join('  '));
console.log(`node ${process.version}; median of ${ROUNDS} rounds of ${ROUND_MS} ms; (sink ${sink > 0})`);
