import type { LinkId, ProxyMesh } from '../chaos/proxy-mesh.js';
import type { LinkWatch } from './link-watch.js';

/**
 * Drops peer links at an even pace over a run: every `periodMs` it resets
 * the connections of the next link, in turn, that its dialler has logged up
 * — a link still redialling is passed over, so that every reset ends an
 * established link and costs its member one reconnect. Stops after `target`
 * resets that hit a connection.
 */
export class ReconnectDriver {
  /** Resets that hit at least one connection. */
  resets = 0;
  /** Turns that found no established link to drop. */
  idleTurns = 0;
  private next = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly links: readonly LinkId[];

  constructor(
    private readonly mesh: ProxyMesh,
    private readonly watch: LinkWatch,
    private readonly target: number,
  ) {
    this.links = mesh.links();
  }

  start(periodMs: number): void {
    this.timer = setInterval(() => this.turn(), periodMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private turn(): void {
    if (this.resets >= this.target) {
      this.stop();
      return;
    }
    for (let tried = 0; tried < this.links.length; tried++) {
      const link = this.links[this.next]!;
      this.next = (this.next + 1) % this.links.length;
      if (!this.watch.isUp(link.from, link.to)) continue;
      if (this.mesh.resetConnections(link) > 0) {
        this.resets += 1;
        return;
      }
    }
    this.idleTurns += 1;
  }
}
