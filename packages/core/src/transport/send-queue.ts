/** Limits of a `SendQueue`. */
export interface SendQueueLimits {
  /** Most frames held at once. */
  readonly messagesMax: number;
  /** Most bytes (sum of frame lengths) held at once. */
  readonly bytesMax: number;
}

/**
 * A FIFO of encoded frames bounded by count AND bytes. `push` refuses (and
 * counts the refusal) instead of growing past either bound, so a slow or
 * stuck peer costs at most `bytesMax` of memory — once `keepOwnCopies` has
 * run: a frame is usually a slice of a slab shared with other frames
 * (ByteWriter), and a queued slice keeps the whole slab alive.
 */
export class SendQueue {
  private frames: Uint8Array[] = [];
  /** Index of the oldest frame in `frames`; consumed slots are reclaimed in bulk, not per shift. */
  private head = 0;
  /** Index in `frames` from which frames may still be views into shared buffers (see keepOwnCopies). */
  private sharedFrom = 0;
  private bytes = 0;
  private refused = 0;

  constructor(private readonly limits: SendQueueLimits) {}

  get length(): number {
    return this.frames.length - this.head;
  }

  get byteLength(): number {
    return this.bytes;
  }

  /** How many frames `push` has refused since construction. */
  get refusedCount(): number {
    return this.refused;
  }

  /** Whether `push(frame)` would take it now. */
  fits(frame: Uint8Array): boolean {
    return this.length < this.limits.messagesMax && this.bytes + frame.byteLength <= this.limits.bytesMax;
  }

  /** Appends `frame` if both bounds allow it; returns false (and counts it) otherwise. */
  push(frame: Uint8Array): boolean {
    if (!this.fits(frame)) {
      this.refused += 1;
      return false;
    }
    this.frames.push(frame);
    this.bytes += frame.byteLength;
    return true;
  }

  /** Removes and returns the oldest frame, or undefined when empty. */
  shift(): Uint8Array | undefined {
    if (this.head >= this.frames.length) return undefined;
    const frame = this.frames[this.head];
    this.frames[this.head] = EMPTY;
    this.head += 1;
    if (frame !== undefined) this.bytes -= frame.byteLength;
    if (this.head === this.frames.length) {
      this.frames = [];
      this.head = 0;
      this.sharedFrom = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.sharedFrom = Math.max(0, this.sharedFrom - this.head);
      this.head = 0;
    }
    return frame;
  }

  /**
   * Replaces every queued frame that is a view into a larger buffer with a
   * copy of its own bytes. For frames that wait past their turn (the socket
   * is full): copying each one once costs less than the slabs they would pin.
   * Frames looked at by an earlier call are not looked at again.
   */
  keepOwnCopies(): void {
    for (let i = Math.max(this.head, this.sharedFrom); i < this.frames.length; i++) {
      const frame = this.frames[i]!;
      if (frame.byteLength !== frame.buffer.byteLength) this.frames[i] = frame.slice();
    }
    this.sharedFrom = this.frames.length;
  }

  /** Empties the queue and returns how many frames it held. */
  clear(): number {
    const dropped = this.length;
    this.frames = [];
    this.head = 0;
    this.sharedFrom = 0;
    this.bytes = 0;
    return dropped;
  }
}

const EMPTY = new Uint8Array(0);
