/**
 * Endpoints from nilecare_interop.interface_configs: the outbound peers (MLLP or MLLP over TLS) with the
 * message types they take, and the retry settings of their delivery.
 */
import mysql from 'mysql2/promise';

export interface OutboundEndpoint {
  readonly id: string;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** e.g. ["ADT^A01", "ORU^R01"]; undefined = every type. */
  readonly messageTypes?: readonly string[];
  readonly receivingApplication?: string;
  readonly receivingFacility?: string;
  /** MSH-3/MSH-4 of the messages sent there (NILECARE and empty when not set). */
  readonly sendingApplication?: string;
  readonly sendingFacility?: string;
  readonly version: string;
  /** interface_configs.character_encoding: the set its messages are sent in and MSH-18 names (UTF-8 by default). */
  readonly characterEncoding?: string;
  readonly timeoutMs: number;
  readonly maxRetries: number;
  readonly retryBackoffMs: number;
}

function list(v: unknown): string[] | undefined {
  const parsed = typeof v === 'string' ? (JSON.parse(v) as unknown) : v;
  return Array.isArray(parsed) ? parsed.map(String) : undefined;
}

/** An interface_configs row (the columns of OUTBOUND_ENDPOINTS_SQL) as an endpoint; shared with the PostgreSQL twin. */
export function endpointFromRow(r: Record<string, any>): OutboundEndpoint {
  const types = list(r.message_types);
  return {
    id: r.id,
    name: r.name,
    host: r.host,
    port: Number(r.port),
    tls: r.protocol === 'mllp_tls',
    ...(types ? { messageTypes: types } : {}),
    ...(r.receiving_application ? { receivingApplication: r.receiving_application } : {}),
    ...(r.receiving_facility ? { receivingFacility: r.receiving_facility } : {}),
    ...(r.sending_application ? { sendingApplication: r.sending_application } : {}),
    ...(r.sending_facility ? { sendingFacility: r.sending_facility } : {}),
    version: r.hl7_version,
    ...(r.character_encoding ? { characterEncoding: String(r.character_encoding) } : {}),
    timeoutMs: Number(r.timeout_ms),
    maxRetries: Number(r.max_retries),
    retryBackoffMs: Number(r.retry_backoff_ms),
  };
}

/** The active outbound MLLP endpoints, by name (the same SQL on MySQL and PostgreSQL). */
export const OUTBOUND_ENDPOINTS_SQL = `SELECT id, name, protocol, host, port, message_types, receiving_application, receiving_facility, sending_application, sending_facility, hl7_version, character_encoding, timeout_ms, max_retries, retry_backoff_ms
       FROM interface_configs WHERE is_active AND deleted_at IS NULL AND direction IN ('outbound', 'bidirectional') AND protocol IN ('mllp', 'mllp_tls')
       AND host IS NOT NULL AND port IS NOT NULL ORDER BY name`;

export async function loadOutboundEndpoints(url: string): Promise<OutboundEndpoint[]> {
  const c = await mysql.createConnection({ uri: url });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(OUTBOUND_ENDPOINTS_SQL);
    return rows.map(endpointFromRow);
  } finally {
    await c.end();
  }
}

/** The endpoints that take a message type (`ORU^R01`). */
export function endpointsFor(endpoints: readonly OutboundEndpoint[], type: string): OutboundEndpoint[] {
  return endpoints.filter(
    (e) => !e.messageTypes || e.messageTypes.includes(type) || e.messageTypes.includes(type.split('^')[0]!),
  );
}
