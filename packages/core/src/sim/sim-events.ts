import type { MemberId } from '../raft/types.js';

/** Everything that can happen in a simulation, scheduled on the one event queue. */
export type SimEvent =
  | { readonly kind: 'tick'; readonly member: MemberId; readonly incarnation: number }
  | {
      readonly kind: 'fsync';
      readonly member: MemberId;
      readonly incarnation: number;
      readonly syncId: number;
    }
  /** The end of a member's turn: its driver carries out what the turn's inputs produced (inputTurns). */
  | { readonly kind: 'pump'; readonly member: MemberId; readonly incarnation: number }
  | { readonly kind: 'crash'; readonly member: MemberId; readonly incarnation: number }
  | { readonly kind: 'restart'; readonly member: MemberId }
  /** Strike a leader soon after its election (crash or isolate it), before it can settle in. */
  | { readonly kind: 'ambush'; readonly member: MemberId; readonly incarnation: number }
  /**
   * A message arriving: the bytes production's peer codec made of it, and the
   * link it was sent on (what the frame decodes to must name the same sender
   * and recipient, as a peer's inbound link checks).
   */
  | { readonly kind: 'deliver'; readonly from: MemberId; readonly to: MemberId; readonly frame: Uint8Array }
  /** The safety phase's next random fault. */
  | { readonly kind: 'fault' }
  /** The safety phase's next random client request. */
  | { readonly kind: 'client' };
