/** The acknowledgement for an outcome, in the sender's acknowledgement mode (see ack/ack-mode.ts). */
import { buildAck, type AckError } from '../ack/ack-builder.js';
import { replyCode, type AckMode, type Outcome } from '../ack/ack-mode.js';
import type { Hl7Message } from '../parser/hl7-message.js';

/** undefined when the sender asked for no acknowledgement of this outcome. */
export function answer(
  msg: Hl7Message | undefined,
  outcome: Outcome,
  o: { text?: string; errors?: readonly AckError[]; fallback?: { controlId?: string; version?: string } } = {},
  mode: AckMode = 'auto',
): string | undefined {
  const code = replyCode(msg, outcome, mode);
  return code ? buildAck(msg, { code, ...o }) : undefined;
}
