/**
 * The outbound HL7 v2 endpoints as an administrator manages them (nilecare_interop.interface_configs, direction
 * outbound or bidirectional, MLLP or MLLP over TLS): list, add, disable/enable, remove. Shared by
 * `npm run hl7:endpoints` and the console's admin API, so both check the same things and say them the same way.
 * The outbound worker reads the active ones (mysql-interface-configs.ts): the server re-reads them at once when the
 * change goes through it (the console), else within 30 s.
 */
import type mysql from 'mysql2/promise';

export interface Hl7EndpointRow {
  name: string;
  host: string;
  port: number;
  tls: boolean;
  active: boolean;
  /** undefined = every message type. */
  messageTypes?: string[];
  receivingApplication?: string;
  receivingFacility?: string;
}

export interface NewHl7EndpointInput {
  name: string;
  host: string;
  port: number;
  tls?: boolean;
  messageTypes?: string[];
  receivingApplication?: string;
  receivingFacility?: string;
  sendingApplication?: string;
  sendingFacility?: string;
  maxRetries?: number;
  timeoutMs?: number;
}

/** The input is wrong (the CLI says it as a usage mistake, the console as a 400). */
export class EndpointInputError extends Error {
  override readonly name = 'EndpointInputError';
}
/** A second endpoint of the same name (409 in the console). */
export class EndpointExistsError extends Error {
  override readonly name = 'EndpointExistsError';
}

type Db = Pick<mysql.Pool, 'query' | 'execute'>;
const TYPE = /^[A-Z0-9]{3}(\^[A-Z0-9]{3})?$/;
const text = (v: unknown, what: string, max: number): string | null => {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.trim().length > max)
    throw new EndpointInputError(`${what}: at most ${max} characters`);
  return v.trim() || null;
};
const whole = (v: unknown, what: string, min: number, max: number, fallback: number): number => {
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new EndpointInputError(`${what} must be ${min} to ${max}`);
  return n;
};

/** Checks an endpoint as typed by a person; returns it ready to insert. */
export function checkEndpoint(e: Partial<Record<keyof NewHl7EndpointInput, unknown>>): NewHl7EndpointInput {
  const name = typeof e.name === 'string' ? e.name.trim() : '';
  if (!name || name.length > 100) throw new EndpointInputError('a name (1 to 100 characters) is required');
  const host = typeof e.host === 'string' ? e.host.trim() : '';
  if (!host || host.length > 255 || /[\s/]/.test(host))
    throw new EndpointInputError('a host (a host name or address) is required');
  if (e.port === undefined || e.port === null || e.port === '') throw new EndpointInputError('a port is required');
  const port = whole(e.port, 'the port', 1, 65535, 0);
  const types = Array.isArray(e.messageTypes)
    ? e.messageTypes.map((t) => String(t).trim().toUpperCase()).filter(Boolean)
    : undefined;
  const bad = types?.filter((t) => !TYPE.test(t)) ?? [];
  if (bad.length)
    throw new EndpointInputError(`message types look like ADT^A01, ORU^R01 or ADT (got ${bad.join(', ')})`);
  const optional = (k: keyof NewHl7EndpointInput, what: string) => {
    const v = text(e[k], what, 180);
    return v ? { [k]: v } : {};
  };
  return {
    name,
    host,
    port,
    tls: e.tls === true,
    ...(types?.length ? { messageTypes: types } : {}),
    ...optional('receivingApplication', 'the receiving application'),
    ...optional('receivingFacility', 'the receiving facility'),
    ...optional('sendingApplication', 'the sending application'),
    ...optional('sendingFacility', 'the sending facility'),
    maxRetries: whole(e.maxRetries, 'the retries', 0, 1000, 3),
    timeoutMs: whole(e.timeoutMs, 'the timeout (ms)', 100, 3_600_000, 30_000),
  };
}

export async function listEndpoints(db: Db): Promise<Hl7EndpointRow[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT name, protocol, host, port, message_types, receiving_application, receiving_facility, is_active
       FROM interface_configs
      WHERE direction IN ('outbound', 'bidirectional') AND deleted_at IS NULL ORDER BY name`,
  );
  return rows.map((r) => {
    const types: unknown = typeof r.message_types === 'string' ? JSON.parse(r.message_types) : r.message_types;
    return {
      name: String(r.name),
      host: String(r.host ?? ''),
      port: Number(r.port ?? 0),
      tls: r.protocol === 'mllp_tls',
      active: Boolean(r.is_active),
      ...(Array.isArray(types) ? { messageTypes: types.map(String) } : {}),
      ...(r.receiving_application ? { receivingApplication: String(r.receiving_application) } : {}),
      ...(r.receiving_facility ? { receivingFacility: String(r.receiving_facility) } : {}),
    };
  });
}

export async function addEndpoint(db: Db, input: NewHl7EndpointInput): Promise<void> {
  const e = checkEndpoint(input);
  try {
    await db.execute(
      `INSERT INTO interface_configs (name, direction, protocol, host, port, message_types, receiving_application,
         receiving_facility, sending_application, sending_facility, max_retries, timeout_ms, is_active)
       VALUES (?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
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
      ],
    );
  } catch (err) {
    if ((err as { code?: string }).code === 'ER_DUP_ENTRY')
      throw new EndpointExistsError(`an interface named "${e.name}" already exists`);
    throw err;
  }
}

/** Disables or enables by name; false when there is no such outbound endpoint. */
export async function setEndpointActive(db: Db, name: string, active: boolean): Promise<boolean> {
  const [res] = await db.execute(
    `UPDATE interface_configs SET is_active = ?
      WHERE name = ? AND deleted_at IS NULL AND direction IN ('outbound', 'bidirectional')`,
    [active ? 1 : 0, name],
  );
  return (res as mysql.ResultSetHeader).affectedRows > 0;
}

/** Deletes by name (the row stays, renamed, for the message history); false when there is none. */
export async function removeEndpoint(db: Db, name: string): Promise<boolean> {
  const [res] = await db.execute(
    `UPDATE interface_configs SET deleted_at = CURRENT_TIMESTAMP, is_active = 0,
            name = CONCAT(LEFT(name, 50), ' (removed ', id, ')')
      WHERE name = ? AND deleted_at IS NULL AND direction IN ('outbound', 'bidirectional')`,
    [name],
  );
  return (res as mysql.ResultSetHeader).affectedRows > 0;
}
