import type { ChaosCluster } from '../chaos/chaos-cluster.js';
import { type MemberResources, monotonicNowMs } from '../chaos/chaos-protocol.js';

/** One member's resources at one instant; `atMs` counts from the sampler's creation. */
export interface Sample extends MemberResources {
  readonly atMs: number;
}

/** A member that does not answer within this fails the run (a full GC of a small heap takes milliseconds). */
const ANSWER_WAIT_MS = 30_000;

/**
 * Asks every member for its resources ('resources' command) now and then,
 * one member at a time so that two forced collections never pause two
 * members at once. Keeps every sample: a run of minutes takes a few hundred.
 */
export class ResourceSampler {
  readonly samples = new Map<string, Sample[]>();
  private readonly t0 = monotonicNowMs();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  /** The first failure of a periodic round; the run reports it. */
  failure: Error | undefined;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly onRound: () => void = () => {},
  ) {
    for (const id of cluster.ids) this.samples.set(id, []);
  }

  /** Samples every member once; resolves with this round's samples by member. */
  async round(): Promise<Map<string, Sample>> {
    const taken = new Map<string, Sample>();
    for (const id of this.cluster.ids) {
      const answer = await this.cluster.request(id, { cmd: 'resources' }, 'resources', ANSWER_WAIT_MS);
      if (answer.ev !== 'resources') throw new Error(`member ${id} did not measure its resources`);
      const { ev: _ev, req: _req, at: _at, id: _id, life: _life, ...resources } = answer;
      const sample: Sample = { ...resources, atMs: monotonicNowMs() - this.t0 };
      this.samples.get(id)!.push(sample);
      taken.set(id, sample);
    }
    this.onRound();
    return taken;
  }

  /** Samples every `everyMs` (the next round is timed from the end of the last) until stopped. */
  start(everyMs: number): void {
    const schedule = (): void => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.running = this.round().then(
          () => schedule(),
          (error: Error) => {
            this.failure ??= error;
          },
        );
      }, everyMs);
    };
    schedule();
  }

  /** Stops sampling; resolves once a round in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
