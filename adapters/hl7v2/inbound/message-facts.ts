/**
 * What the log keeps about a message before it is processed: its sender (the whole of MSH-3 and MSH-4), type,
 * MSH-7 as a UTC instant, the content hash that tells an identical resend from a different message reusing a
 * control id, and the record for hl7_messages.
 */
import { createHash } from 'node:crypto';
import type { Hl7Message } from '../parser/hl7-message.js';
import type { MessageRecord } from '../log/message-log.js';

/** Lines of a message as they are compared: no BOM, no blank lines, any segment terminator. */
export function normalisedText(raw: string): string {
  return raw
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .filter((l) => l.trim() !== '')
    .join('\r');
}

/** SHA-256 (hex) of the normalised message: equal for the same message resent with other line endings. */
export function contentHash(raw: string): string {
  return createHash('sha256').update(normalisedText(raw)).digest('hex');
}

/** Sender key of control ids: the whole MSH-3 and MSH-4 (all components), as stored in hl7_messages. */
export function senderKey(msg: Hl7Message): { application: string; facility: string } {
  return { application: msg.fieldText('MSH', 3).slice(0, 180), facility: msg.fieldText('MSH', 4).slice(0, 180) };
}

/** An HL7 DTM as a UTC ISO instant; a time without an offset is read in `defaultOffset` (+02:00). */
export function dtmInstant(dtm: string, defaultOffset: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/.exec(dtm.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '00', mi = '00', s = '00', frac = '', tz] = m;
  const offset = tz ? `${tz.slice(0, 3)}:${tz.slice(3)}` : defaultOffset;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The UTC offset MSH-7 carries (`+0300` → `+03:00`), if any: the sender's zone for its other times. */
export function senderOffset(msg: Hl7Message): string | undefined {
  const m = /[+-]\d{4}$/.exec(msg.get('MSH-7').trim());
  return m ? `${m[0].slice(0, 3)}:${m[0].slice(3)}` : undefined;
}

export function recordOf(
  msg: Hl7Message,
  raw: string,
  o: { remoteAddress?: string; defaultOffset: string },
): Omit<MessageRecord, 'status'> {
  const t = msg.messageType;
  const sender = senderKey(msg);
  const at = dtmInstant(msg.get('MSH-7'), o.defaultOffset);
  return {
    direction: 'inbound',
    messageType: t.code.slice(0, 10),
    triggerEvent: t.event.slice(0, 10) || undefined,
    structure: t.structure.slice(0, 20) || undefined,
    controlId: msg.controlId.slice(0, 199) || undefined,
    sendingApplication: sender.application,
    sendingFacility: sender.facility,
    receivingApplication: msg.fieldText('MSH', 5).slice(0, 180) || undefined,
    receivingFacility: msg.fieldText('MSH', 6).slice(0, 180) || undefined,
    version: msg.version.slice(0, 10) || undefined,
    processingId: msg.get('MSH-11.1').slice(0, 3) || undefined,
    ...(at ? { messageDatetime: at } : {}),
    patientIdentifier: msg.get('PID-3').slice(0, 100) || undefined,
    raw,
    hash: contentHash(raw),
    remoteAddress: o.remoteAddress,
  };
}
