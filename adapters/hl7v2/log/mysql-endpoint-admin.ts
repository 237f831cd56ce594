/**
 * The outbound HL7 v2 endpoints as an administrator manages them (nilecare_interop.interface_configs, direction
 * outbound or bidirectional, MLLP or MLLP over TLS): list, add, disable/enable, remove. Shared by
 * `npm run hl7:endpoints` and the console's admin API, so both check the same things and say them the same way.
 * The outbound worker reads the active ones (mysql-interface-configs.ts): the server re-reads them at once when the
 * change goes through it (the console), else within 30 s.
 */
import type mysql from 'mysql2/promise';
import { outboundCharset, OutboundCharsetError } from '../outbound/outbound-charset.js';

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
  /** interface_configs.character_encoding when not the default UTF-8. */
  characterEncoding?: string;
}

/**
 * The settings an integration engineer changes on an existing interface: the outbound character set
 * (character_encoding: outbound/bidirectional) and the MSH-11 values an inbound interface takes
 * (settings.processing_ids: inbound/bidirectional; P, T, D).
 */
export interface Hl7InterfaceSettings {
  characterEncoding?: string;
  /** A list or a comma text ("P,T"); stored as a list. */
  processingIds?: string[] | string;
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
  /** The outbound character set (default UTF-8). */
  characterEncoding?: string;
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

/** Checks an outbound character set as typed (one that cannot be sent over MLLP is refused); returns it trimmed. */
export function checkCharset(v: unknown): string {
  const name = typeof v === 'string' ? v.trim() : '';
  if (!name || name.length > 20) throw new EndpointInputError('a character set (such as UTF-8 or 8859/1) is required');
  try {
    outboundCharset(name);
  } catch (e) {
    if (e instanceof OutboundCharsetError)
      throw new EndpointInputError(
        `character set ${JSON.stringify(name)} cannot be sent over MLLP: use UTF-8, 8859/1–9, 8859/15, ASCII, GB 18030, BIG-5 or KS X 1001`,
      );
    throw e;
  }
  return name;
}

/** Checks MSH-11 processing ids as typed (a list or "P,T"): P, T and/or D, at least one. */
export function checkProcessingIds(v: unknown): string[] {
  const list = Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : [];
  const ids = [...new Set(list.map((x) => x.trim().toUpperCase()).filter(Boolean))];
  const bad = ids.filter((x) => !['P', 'T', 'D'].includes(x));
  if (ids.length === 0 || bad.length)
    throw new EndpointInputError(
      `processing ids (MSH-11) are P, T and/or D, such as P,T${bad.length ? ` (got ${bad.join(', ')})` : ''}`,
    );
  return ids;
}

/** Checks the settings of a change (at least one); returns them ready to store. */
export function checkSettings(s: unknown): { characterEncoding?: string; processingIds?: string[] } {
  if (!s || typeof s !== 'object') throw new EndpointInputError('the settings must be an object');
  const e = s as Record<string, unknown>;
  const has = (k: string) => e[k] !== undefined && e[k] !== null;
  if (!has('characterEncoding') && !has('processingIds'))
    throw new EndpointInputError('give a character set (characterEncoding) or processing ids (processingIds)');
  return {
    ...(has('characterEncoding') ? { characterEncoding: checkCharset(e.characterEncoding) } : {}),
    ...(has('processingIds') ? { processingIds: checkProcessingIds(e.processingIds) } : {}),
  };
}

/** The directions a change of these settings applies to (both settings: a bidirectional interface only). */
export function settingsDirections(s: Hl7InterfaceSettings): string {
  const out = s.characterEncoding !== undefined;
  const inb = s.processingIds !== undefined;
  return out && inb ? `('bidirectional')` : out ? `('outbound', 'bidirectional')` : `('inbound', 'bidirectional')`;
}

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
    ...(e.characterEncoding !== undefined && e.characterEncoding !== null && e.characterEncoding !== ''
      ? { characterEncoding: checkCharset(e.characterEncoding) }
      : {}),
    maxRetries: whole(e.maxRetries, 'the retries', 0, 1000, 3),
    timeoutMs: whole(e.timeoutMs, 'the timeout (ms)', 100, 3_600_000, 30_000),
  };
}

export async function listEndpoints(db: Db): Promise<Hl7EndpointRow[]> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `SELECT name, protocol, host, port, message_types, receiving_application, receiving_facility, is_active,
            character_encoding
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
      ...(r.character_encoding && r.character_encoding !== 'UTF-8'
        ? { characterEncoding: String(r.character_encoding) }
        : {}),
    };
  });
}

export async function addEndpoint(db: Db, input: NewHl7EndpointInput): Promise<void> {
  const e = checkEndpoint(input);
  try {
    await db.execute(
      `INSERT INTO interface_configs (name, direction, protocol, host, port, message_types, receiving_application,
         receiving_facility, sending_application, sending_facility, max_retries, timeout_ms, character_encoding,
         is_active)
       VALUES (?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
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

/**
 * Changes the character set and/or MSH-11 processing ids of an interface by name (checked first: EndpointInputError);
 * false when there is no such interface of a direction they apply to. Other settings keys are kept.
 */
export async function setEndpointSettings(db: Db, name: string, input: Hl7InterfaceSettings): Promise<boolean> {
  const s = checkSettings(input);
  const [res] = await db.execute(
    `UPDATE interface_configs
        SET character_encoding = COALESCE(?, character_encoding),
            settings = IF(? IS NULL, settings, JSON_SET(COALESCE(settings, JSON_OBJECT()), '$.processing_ids', JSON_EXTRACT(?, '$')))
      WHERE name = ? AND deleted_at IS NULL AND direction IN ${settingsDirections(s)}`,
    [
      s.characterEncoding ?? null,
      s.processingIds ? 1 : null,
      s.processingIds ? JSON.stringify(s.processingIds) : null,
      name,
    ],
  );
  return (res as mysql.ResultSetHeader).affectedRows > 0;
}
