import { decodeMessage } from '../codec/message-codec.js';
import { DEFAULT_MESSAGE_LIMITS, type MessageLimits } from '../codec/message-limits.js';
import type { PeerMessage } from '../peer-message.js';
import type { MemberId } from '../raft/types.js';

/**
 * The checks both simulators make where production's transport and inbound
 * link make them, so that a member of either simulator sees only what a real
 * peer could send it. Failing one is a bug of the sender (or the codec): the
 * run fails, where production would log and drop the message.
 */

/** As the transport refuses it: a message to the sending member itself, or in another member's name. */
export function checkSender(sender: MemberId, msg: PeerMessage): void {
  if (msg.from !== sender || msg.to === sender) {
    throw new Error(`member ${sender} sent a misaddressed ${msg.type} from ${msg.from} to ${msg.to}`);
  }
}

/**
 * A frame member `from` sent to `to`, decoded and validated as the inbound
 * link decodes it: the link knows which peer it authenticated, and refuses a
 * message that names another sender, or another recipient than itself.
 */
export function decodeOnLink(
  frame: Uint8Array,
  from: MemberId,
  to: MemberId,
  limits: MessageLimits = DEFAULT_MESSAGE_LIMITS,
): PeerMessage {
  const msg = decodeMessage(frame, limits);
  if (msg.from !== from || msg.to !== to) {
    throw new Error(`a message sent ${from}->${to} came back from the codec as ${msg.from}->${msg.to}`);
  }
  return msg;
}
