import { Fingerprint } from './hash.js';

/**
 * The event trace of a run: a bounded ring buffer of the last `linesMax`
 * short lines (printed when a run fails) plus a fingerprint of every line
 * ever added, so two runs can be compared for exact replay without keeping
 * them whole.
 */
export class Trace {
  readonly linesMax: number;
  private readonly lines: string[] = [];
  private start = 0;
  private total = 0;
  private readonly fingerprint = new Fingerprint();

  constructor(linesMax = 200) {
    if (!(Number.isSafeInteger(linesMax) && linesMax >= 1)) throw new RangeError('linesMax must be >= 1');
    this.linesMax = linesMax;
  }

  /** How many lines were ever added. */
  get count(): number {
    return this.total;
  }

  /** Records one event at global time `atUs`. */
  add(atUs: number, line: string): void {
    const text = `${formatTime(atUs)} ${line}`;
    this.fingerprint.add(text);
    this.total++;
    if (this.lines.length < this.linesMax) {
      this.lines.push(text);
      return;
    }
    this.lines[this.start] = text;
    this.start = (this.start + 1) % this.linesMax;
  }

  /** The last lines, oldest first (at most `linesMax`, or `limit` if smaller). */
  tail(limit: number = this.linesMax): string[] {
    const ordered = this.lines.slice(this.start).concat(this.lines.slice(0, this.start));
    return ordered.slice(Math.max(0, ordered.length - limit));
  }

  /** A fingerprint of every line added so far, in order: equal hashes mean (almost surely) equal runs. */
  hash(): string {
    return this.fingerprint.hex();
  }
}

/** Global µs as milliseconds with three decimals, e.g. `1234.005`. */
function formatTime(atUs: number): string {
  const ms = Math.floor(atUs / 1000);
  const us = Math.floor(atUs - ms * 1000);
  return `${ms}.${us.toString().padStart(3, '0')}`;
}
