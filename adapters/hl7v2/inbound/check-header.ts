/**
 * MSH checks before anything is processed. Rejections (AR): no message type (MSH-9), no or an unsupported version
 * (MSH-12; 2.1–2.8), a processing id (MSH-11) this server does not take — a production server takes P only, so a
 * training (T) or debugging (D) message never writes to its store —, and a message type or event no template maps.
 * Warnings (the message is still processed): no control id (MSH-10 — no duplicate detection possible), no sender
 * (MSH-3/MSH-4), no processing id (read as P).
 */
import type { Hl7Message } from '../parser/hl7-message.js';
import type { AckError } from '../ack/ack-builder.js';
import type { MappingSet } from '../mapping/load-mappings.js';
import { templateFor } from '../mapping/mapping-engine.js';
import { MappingError } from '../mapping/mapping-error.js';

export const SUPPORTED_VERSIONS = /^2\.[1-8](\.\d+)?$/;

/** HL7 table 0103. */
const PROCESSING_IDS: Record<string, string> = { P: 'production', T: 'training/test', D: 'debugging' };

export function checkHeader(
  msg: Hl7Message,
  mappings: MappingSet,
  acceptedProcessingIds: readonly string[],
): { errors: AckError[]; warnings: AckError[] } {
  const errors: AckError[] = [];
  const warnings: AckError[] = [];
  const at = (field: number) => ({ segment: 'MSH', sequence: 1, field });
  if (!msg.messageType.code) errors.push({ code: '101', text: 'MSH-9 (message type) is required', ...at(9) });
  const version = msg.version;
  if (!version) errors.push({ code: '101', text: 'MSH-12 (version id) is required', ...at(12) });
  else if (!SUPPORTED_VERSIONS.test(version))
    errors.push({ code: '203', text: `HL7 version ${version} is not supported (2.1–2.8)`, ...at(12) });
  const processing = msg.get('MSH-11.1');
  if (!processing)
    warnings.push({ code: '101', severity: 'W', text: 'MSH-11 (processing id) is empty: read as P', ...at(11) });
  else if (!PROCESSING_IDS[processing])
    errors.push({ code: '202', text: `processing id ${processing} is not P, T or D (table 0103)`, ...at(11) });
  else if (!acceptedProcessingIds.includes(processing))
    errors.push({
      code: '202',
      text: `processing id ${processing} (${PROCESSING_IDS[processing]}) is not accepted here: this interface takes ${acceptedProcessingIds.join(', ')}`,
      ...at(11),
    });
  if (errors.length === 0) {
    try {
      templateFor(msg, mappings);
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      errors.push({ code: err.code, text: err.message, ...err.location });
    }
  }
  if (!msg.controlId)
    warnings.push({
      code: '101',
      severity: 'W',
      text: 'MSH-10 (message control id) is empty: duplicates cannot be detected',
      ...at(10),
    });
  if (!msg.get('MSH-3') && !msg.get('MSH-4'))
    warnings.push({ code: '101', severity: 'W', text: 'MSH-3 and MSH-4 (sender) are empty', ...at(3) });
  return { errors, warnings };
}
