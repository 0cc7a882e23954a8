import { type Logger, silentLogger } from '../env.js';
import type { Entry } from '../raft/types.js';
import type { CoordinationEffect } from '../state/coordination-commands.js';
import { CoordinationState } from '../state/coordination-state.js';
import type { StateMachine } from './state-machine.js';

/** Receives each effect of an applied entry, in apply order, synchronously. */
export type EffectListener = (effect: CoordinationEffect) => void;

/**
 * The coordination state (state/coordination-state.ts) as the runtime's
 * StateMachine, with the apply stream: right after each entry is applied its
 * effects are handed to every listener, synchronously and in order, so a
 * waiter that looks at the state and subscribes in one synchronous step
 * misses nothing. Listeners must not call into the cluster synchronously
 * (settle a promise or start a timer instead): the member is in the middle
 * of applying a batch.
 */
export class CoordinationMachine implements StateMachine {
  readonly state = new CoordinationState();
  private readonly listeners = new Set<EffectListener>();
  private readonly restoreListeners = new Set<() => void>();

  constructor(private readonly logger: Logger = silentLogger) {}

  apply(entry: Entry): unknown {
    const result = this.state.apply(entry);
    const effects = this.state.takeEffects();
    for (const effect of effects) {
      for (const listener of this.listeners) {
        try {
          listener(effect);
        } catch (error) {
          // A listener's bug must not stop the member: the entry is applied on every member regardless.
          this.logger.error({ err: error, effect: effect.type }, 'an effect listener threw');
        }
      }
    }
    return result;
  }

  snapshot(): Uint8Array {
    return this.state.snapshot();
  }

  /** Replaces the state with a snapshot's; the effects of the entries it covers are never delivered, so restore listeners look at the state again. */
  restore(data: Uint8Array): void {
    this.state.restore(data);
    for (const listener of this.restoreListeners) {
      try {
        listener();
      } catch (error) {
        this.logger.error({ err: error }, 'a restore listener threw');
      }
    }
  }

  /** Called after a snapshot replaced the state (effects of the entries it covers are not delivered). */
  onRestore(listener: () => void): () => void {
    this.restoreListeners.add(listener);
    return () => this.restoreListeners.delete(listener);
  }

  /** Subscribes to effects; returns the unsubscribe function. */
  onEffect(listener: EffectListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
