/**
 * Original or enhanced acknowledgement mode (HL7 v2 chapter 2.9). A message with MSH-15 or MSH-16 valued asks for
 * enhanced mode: an accept acknowledgement (CA/CE/CR) when MSH-15 asks for one, and an application acknowledgement
 * (AA/AE/AR) when MSH-16 asks for one. Conditions (table 0155): AL always, NE never, ER only on error or reject,
 * SU only on success. The server stores and processes a message before it answers, so both answers are known when
 * the connection is answered:
 *  - MSH-15 asks, MSH-16 does not: the accept acknowledgement — CA when the message was accepted (processed, or kept
 *    for a retry after a transient failure), CR when it was refused (what original mode answers AR), CE when it
 *    could not be kept (a permanent content error: it is not processed);
 *  - MSH-16 asks, MSH-15 does not: the application acknowledgement on the same connection;
 *  - both ask: the accept acknowledgement. The application acknowledgement, which enhanced mode sends as a message
 *    of its own to the sender, is not sent (no return route here): its code is kept in hl7_messages and logged.
 *  - neither asks: no answer at all.
 * Which mode applies is the interface's (interface_configs.ack_mode): `original` answers AA/AE/AR whatever MSH-15/16
 * say, `enhanced` follows them strictly (even to no answer), `none` never answers. With no interface configured
 * (`auto`), MSH-15/16 decide as above, except that a frame is always answered: an MLLP peer waits for one reply per
 * frame, and many senders fill in NE/NE without meaning it — it gets the accept acknowledgement.
 */
import type { Hl7Message } from '../parser/hl7-message.js';
import type { AckCode } from './ack-builder.js';

export type Outcome = { readonly code: 'AA' | 'AE' | 'AR'; readonly transient?: boolean };
export type AckMode = 'original' | 'enhanced' | 'none' | 'auto';

const CONDITIONS = new Set(['AL', 'NE', 'ER', 'SU']);

function wanted(condition: string, success: boolean): boolean {
  if (condition === 'NE') return false;
  if (condition === 'ER') return !success;
  if (condition === 'SU') return success;
  return true; // AL, or anything unknown
}

/** The code to answer with, or undefined when no answer is wanted. */
export function replyCode(msg: Hl7Message | undefined, outcome: Outcome, mode: AckMode = 'auto'): AckCode | undefined {
  if (mode === 'none') return undefined;
  const accept = msg?.get('MSH-15').toUpperCase() ?? '';
  const application = msg?.get('MSH-16').toUpperCase() ?? '';
  const enhanced = CONDITIONS.has(accept) || CONDITIONS.has(application);
  if (mode === 'original' || !enhanced) return outcome.code;
  const acceptCode: AckCode = outcome.code === 'AR' ? 'CR' : outcome.code === 'AA' || outcome.transient ? 'CA' : 'CE';
  const wantsAccept = CONDITIONS.has(accept) && wanted(accept, acceptCode === 'CA');
  const wantsApplication = CONDITIONS.has(application) && wanted(application, outcome.code === 'AA');
  let code: AckCode | undefined;
  if (CONDITIONS.has(accept) && accept !== 'NE') code = wantsAccept ? acceptCode : undefined;
  else code = wantsApplication ? outcome.code : undefined;
  return code ?? (mode === 'auto' ? acceptCode : undefined);
}
