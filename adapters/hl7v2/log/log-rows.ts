/**
 * The message log's rows as the pipeline sees them, one function per table, shared by the MySQL/MariaDB and the
 * PostgreSQL/PGlite logs (mysql-message-log.ts, pg-message-log.ts): the SQL differs per dialect, the objects built
 * from the rows do not.
 */
import type { AckCode } from '../ack/ack-builder.js';
import type { MappingRow } from '../mapping/site-mappings.js';
import { processingIdsOf } from './interface-settings.js';
import type { InboundInterface, MessageStatus, StoredMessage } from './message-log.js';

type Text = string | null;

/** hl7_messages: id, status, ack_code, ack_message, raw_message, message_hash and the computed `stale` (0/1 or boolean). */
export interface MessageDbRow {
  id: string;
  status: MessageStatus;
  ack_code: Text;
  ack_message: Text;
  raw_message: string;
  message_hash: string;
  stale: unknown;
}

export function storedMessageOf(r: MessageDbRow): StoredMessage {
  return {
    id: r.id,
    status: r.status,
    raw: r.raw_message,
    hash: r.message_hash,
    ...(r.ack_code ? { ackCode: r.ack_code as AckCode } : {}),
    ...(r.ack_message ? { ack: r.ack_message } : {}),
    ...(r.stale === true || Number(r.stale) === 1 ? { stale: true } : {}),
  };
}

/** fhir_mappings with the row's fingerprint (a hash of its content, computed in SQL). */
export interface MappingDbRow {
  id: string;
  name: string;
  version: number | string;
  message_type: string;
  priority: number | string;
  trigger_event: Text;
  hl7_version: Text;
  sending_application: Text;
  sending_facility: Text;
  segment: Text;
  field_path: Text;
  fhir_resource_type: Text;
  fhir_path: Text;
  transform: Text;
  code_map: unknown;
  definition: unknown;
  fingerprint: unknown;
}

/** A JSON column: parsed when the driver returns text, undefined when it is not JSON. */
export function json(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
}

export function mappingRowOf(r: MappingDbRow): MappingRow {
  return {
    id: r.id,
    name: r.name,
    version: Number(r.version),
    messageType: r.message_type,
    priority: Number(r.priority),
    fingerprint: String(r.fingerprint),
    ...(r.trigger_event ? { triggerEvent: r.trigger_event } : {}),
    ...(r.hl7_version ? { hl7Version: r.hl7_version } : {}),
    ...(r.sending_application ? { sendingApplication: r.sending_application } : {}),
    ...(r.sending_facility ? { sendingFacility: r.sending_facility } : {}),
    ...(r.segment ? { segment: r.segment } : {}),
    ...(r.field_path ? { fieldPath: r.field_path } : {}),
    ...(r.fhir_resource_type ? { fhirResourceType: r.fhir_resource_type } : {}),
    ...(r.fhir_path ? { fhirPath: r.fhir_path } : {}),
    ...(r.transform ? { transform: r.transform } : {}),
    ...(r.code_map != null ? { codeMap: json(r.code_map) } : {}),
    ...(r.definition != null ? { definition: json(r.definition) } : {}),
  };
}

/** interface_configs of an inbound interface. */
export interface InterfaceDbRow {
  id: string;
  name: string;
  character_encoding: string;
  ack_mode: InboundInterface['ackMode'];
  settings: unknown;
}

export function inboundInterfaceOf(r: InterfaceDbRow): InboundInterface {
  const processingIds = processingIdsOf(r.settings);
  return {
    id: r.id,
    name: r.name,
    characterEncoding: r.character_encoding,
    ackMode: r.ack_mode,
    ...(processingIds ? { processingIds } : {}),
  };
}

/** The inbound interface_configs query's parameters: each of MSH-3 and MSH-4 whole and by its namespace (HD.1). */
export function senderParams(app: string, fac: string): string[] {
  return [app, app.split('^')[0]!, fac, fac.split('^')[0]!];
}
