/**
 * MSH checks before anything is written: the fields an ACK and duplicate detection need (MSH-9, MSH-10), a
 * version we support (2.3–2.8; 2.1/2.2 are read as 2.3), a processing id (P, D, T). Problems are AR errors.
 */
import type { Hl7Message } from '../parser/hl7-message.js';
import type { AckError } from '../ack/ack-builder.js';

export const SUPPORTED_VERSIONS = /^2\.[1-8](\.\d+)?$/;

export function validateHeader(msg: Hl7Message): AckError[] {
  const errors: AckError[] = [];
  const at = (field: number) => ({ segment: 'MSH', sequence: 1, field });
  if (!msg.messageType.code) errors.push({ code: '101', text: 'MSH-9 (message type) is required', ...at(9) });
  if (!msg.controlId) errors.push({ code: '101', text: 'MSH-10 (message control id) is required', ...at(10) });
  const version = msg.version;
  if (!version) errors.push({ code: '101', text: 'MSH-12 (version id) is required', ...at(12) });
  else if (!SUPPORTED_VERSIONS.test(version)) errors.push({ code: '203', text: `HL7 version ${version} is not supported (2.1–2.8)`, ...at(12) });
  const processing = msg.get('MSH-11.1');
  if (!processing) errors.push({ code: '101', text: 'MSH-11 (processing id) is required', ...at(11) });
  else if (!['P', 'D', 'T'].includes(processing)) errors.push({ code: '202', text: `processing id ${processing} is not P, D or T`, ...at(11) });
  if (!msg.get('MSH-3') && !msg.get('MSH-4')) errors.push({ code: '101', text: 'MSH-3 or MSH-4 (sender) is required', ...at(3) });
  return errors;
}
