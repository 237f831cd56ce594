/**
 * MSH checks before anything is written. Rejections (AR): no message type (MSH-9), no or an unsupported version
 * (MSH-12; 2.1–2.8 are read, 2.3–2.8 are the supported range). Warnings (the message is still processed): no
 * control id (MSH-10 — no duplicate detection possible), no sender (MSH-3/MSH-4), an unknown processing id.
 */
import type { Hl7Message } from '../parser/hl7-message.js';
import type { AckError } from '../ack/ack-builder.js';

export const SUPPORTED_VERSIONS = /^2\.[1-8](\.\d+)?$/;

export function validateHeader(msg: Hl7Message): { errors: AckError[]; warnings: AckError[] } {
  const errors: AckError[] = [];
  const warnings: AckError[] = [];
  const at = (field: number) => ({ segment: 'MSH', sequence: 1, field });
  if (!msg.messageType.code) errors.push({ code: '101', text: 'MSH-9 (message type) is required', ...at(9) });
  const version = msg.version;
  if (!version) errors.push({ code: '101', text: 'MSH-12 (version id) is required', ...at(12) });
  else if (!SUPPORTED_VERSIONS.test(version))
    errors.push({ code: '203', text: `HL7 version ${version} is not supported (2.1–2.8)`, ...at(12) });
  if (!msg.controlId)
    warnings.push({
      code: '101',
      severity: 'W',
      text: 'MSH-10 (message control id) is empty: duplicates cannot be detected',
      ...at(10),
    });
  if (!msg.get('MSH-3') && !msg.get('MSH-4'))
    warnings.push({ code: '101', severity: 'W', text: 'MSH-3 and MSH-4 (sender) are empty', ...at(3) });
  const processing = msg.get('MSH-11.1');
  if (processing && !['P', 'D', 'T'].includes(processing))
    warnings.push({ code: '202', severity: 'W', text: `processing id ${processing} is not P, D or T`, ...at(11) });
  return { errors, warnings };
}
