/**
 * The outbound HL7 v2 endpoints in the embedded nilecare_interop (PostgreSQL dialect, the PGlite folder by default):
 * the twin of adapters/hl7v2/log/mysql-endpoint-admin.ts for a server without INTEROP_MYSQL_URL, with the same
 * checks (checkEndpoint) and the same errors, so the console and `npm run hl7:endpoints` say the same things.
 */
import {
  checkEndpoint,
  checkSettings,
  EndpointExistsError,
  settingsDirections,
  type Hl7EndpointRow,
  type Hl7InterfaceSettings,
  type NewHl7EndpointInput,
} from '../adapters/hl7v2/log/mysql-endpoint-admin.js';
import { isDuplicateKey, type StateExecutor } from './state/state-db.js';

const OUTBOUND = `deleted_at IS NULL AND direction IN ('outbound', 'bidirectional')`;

export async function listEmbeddedEndpoints(db: StateExecutor): Promise<Hl7EndpointRow[]> {
  const { rows } = await db.query(
    `SELECT name, protocol, host, port, message_types, receiving_application, receiving_facility, is_active,
            character_encoding
       FROM interface_configs WHERE ${OUTBOUND} ORDER BY name`,
  );
  return rows.map((r) => {
    const types: unknown = typeof r.message_types === 'string' ? JSON.parse(r.message_types) : r.message_types;
    return {
      name: String(r.name),
      host: String(r.host ?? ''),
      port: Number(r.port ?? 0),
      tls: r.protocol === 'mllp_tls',
      active: r.is_active === true,
      ...(Array.isArray(types) ? { messageTypes: types.map(String) } : {}),
      ...(r.receiving_application ? { receivingApplication: String(r.receiving_application) } : {}),
      ...(r.receiving_facility ? { receivingFacility: String(r.receiving_facility) } : {}),
      ...(r.character_encoding && r.character_encoding !== 'UTF-8'
        ? { characterEncoding: String(r.character_encoding) }
        : {}),
    };
  });
}

export async function addEmbeddedEndpoint(db: StateExecutor, input: NewHl7EndpointInput): Promise<void> {
  const e = checkEndpoint(input);
  try {
    await db.query(
      `INSERT INTO interface_configs (name, direction, protocol, host, port, message_types, receiving_application,
         receiving_facility, sending_application, sending_facility, max_retries, timeout_ms, character_encoding,
         is_active)
       VALUES (?, 'outbound', ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, TRUE)`,
      [
        e.name,
        e.tls ? 'mllp_tls' : 'mllp',
        e.host,
        e.port,
        e.messageTypes ? JSON.stringify(e.messageTypes) : null,
        e.receivingApplication ?? null,
        e.receivingFacility ?? null,
        e.sendingApplication ?? null,
        e.sendingFacility ?? null,
        e.maxRetries ?? 3,
        e.timeoutMs ?? 30_000,
        e.characterEncoding ?? 'UTF-8',
      ],
    );
  } catch (err) {
    if (isDuplicateKey(err)) throw new EndpointExistsError(`an interface named "${e.name}" already exists`);
    throw err;
  }
}

/** Disables or enables by name; false when there is no such outbound endpoint. */
export async function setEmbeddedEndpointActive(db: StateExecutor, name: string, active: boolean): Promise<boolean> {
  const { affectedRows } = await db.query(`UPDATE interface_configs SET is_active = ? WHERE name = ? AND ${OUTBOUND}`, [
    active,
    name,
  ]);
  return affectedRows > 0;
}

/** Deletes by name (the row stays, renamed, for the message history); false when there is none. */
export async function removeEmbeddedEndpoint(db: StateExecutor, name: string): Promise<boolean> {
  const { affectedRows } = await db.query(
    `UPDATE interface_configs SET deleted_at = clock_timestamp(), is_active = FALSE,
            name = left(name, 50) || ' (removed ' || id || ')'
      WHERE name = ? AND ${OUTBOUND}`,
    [name],
  );
  return affectedRows > 0;
}

/** The twin of setEndpointSettings (mysql-endpoint-admin.ts): character set and/or MSH-11 processing ids by name. */
export async function setEmbeddedEndpointSettings(
  db: StateExecutor,
  name: string,
  input: Hl7InterfaceSettings,
): Promise<boolean> {
  const s = checkSettings(input);
  const { affectedRows } = await db.query(
    `UPDATE interface_configs
        SET character_encoding = COALESCE(?::varchar, character_encoding),
            settings = CASE WHEN ?::jsonb IS NULL THEN settings
                            ELSE COALESCE(settings, '{}'::jsonb) || jsonb_build_object('processing_ids', ?::jsonb) END
      WHERE name = ? AND deleted_at IS NULL AND direction IN ${settingsDirections(s)}`,
    [
      s.characterEncoding ?? null,
      s.processingIds ? JSON.stringify(s.processingIds) : null,
      s.processingIds ? JSON.stringify(s.processingIds) : null,
      name,
    ],
  );
  return affectedRows > 0;
}
