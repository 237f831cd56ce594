/**
 * The row model every adapter's pure mapping produces (FHIR resource → rows) and the writer applies.
 * Ids are deterministic (a UUID derived from a key), so replays, restarts and rebuilds give identical rows.
 */
import { createHash } from 'node:crypto';
import type { SqlTx } from './sql-client.js';

/** A value for a column, or a reference to the id of a row resolved earlier in the same delivery. */
export type SqlValue = string | number | boolean | null | { ref: string };
export type Row = Record<string, SqlValue>;

export type RowWrite =
  /**
   * Insert-or-update the row keyed by fhir_id (or by id when `fhirId` is absent: rows a resource owns without being
   * it, such as the implicit order of a lab result), only when its fhir_version is older than `version`.
   */
  | { op: 'upsert'; table: string; fhirId?: string; version: number; id: string; values: Row }
  /** Make sure a dimension row exists (matched by natural key, inserted when missing); its id becomes `ref`. */
  | { op: 'ensure'; ref: string; table: string; key: Row; id: string; values: Row }
  /** The id of an existing row (e.g. a resource projected earlier); missing → the delivery fails (dead letter). */
  | { op: 'lookup'; ref: string; table: string; key: Row; missing: string }
  /**
   * The projected child rows of a parent (line items): `rows` (each with its stable `id`) upserted in place, the
   * parent's other projected children deleted; children the service added itself stay.
   */
  | { op: 'replaceChildren'; table: string; parentColumn: string; parent: SqlValue; rows: Row[] }
  /** Deleted in FHIR: deleted_at set (soft) or the row removed (tables without deleted_at). */
  | { op: 'delete'; table: string; fhirId: string; version: number; soft: boolean }
  /** Append-only row (audit); a replay inserts nothing (same deterministic id). */
  | { op: 'append'; table: string; id: string; values: Row }
  /**
   * Update columns of rows matched by `where` (e.g. a ClaimResponse on its claim); no match → failure when `missing` is
   * set.
   */
  | { op: 'update'; table: string; where: Row; values: Row; missing?: string }
  /** High-rate rows keyed by a natural key: collected over a batch and written with multi-row statements. */
  | { op: 'bulkUpsert'; table: string; conflict: string[]; values: Row }
  /** Remove rows matched by `where` (e.g. device readings of a deleted Observation). */
  | { op: 'deleteWhere'; table: string; where: Row }
  /** Recompute derived columns (balances, a claim's adjudication) once the rows they derive from are written. */
  | { op: 'derive'; name: string; args: SqlValue[]; run: (tx: SqlTx, args: unknown[]) => Promise<void> };

/** The mapping cannot place this resource (missing patient, unknown code …): the change goes to the dead letters. */
export class MappingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MappingError';
  }
}

/** A UUID (version-5 layout) derived from a key: the same key always gives the same id. */
export function stableUuid(key: string): string {
  const h = createHash('sha1').update(key).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A FHIR id stored in a CHAR(36)/UUID column: a UUID as is, anything else as the stable UUID of `Type/id`. */
export function idColumn(resourceType: string, id: string): string {
  return UUID.test(id) ? id.toLowerCase() : stableUuid(`${resourceType}/${id}`);
}

/** `Patient/123` (or an absolute URL ending so) → { type, id }; anything else → undefined. */
export function parseReference(reference: string | undefined): { type: string; id: string } | undefined {
  const m = reference?.match(/(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/);
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/** The id column value of a reference of the expected type, or undefined. */
export function referenceId(ref: { reference?: string } | undefined, type: string): string | undefined {
  const parsed = parseReference(ref?.reference);
  return parsed && parsed.type === type ? idColumn(parsed.type, parsed.id) : undefined;
}

/**
 * A number derived from FHIR identity, unique because the id is: `PREFIX-<id>` (ids up to 64 characters may not fit
 * `width`: those get `PREFIX-` + 160 bits of the id's SHA-256 in base 36, 31 characters).
 */
export function identityNumber(prefix: string, id: string, width = 50): string {
  const plain = `${prefix}-${id}`;
  if (plain.length <= width) return plain;
  return `${prefix}-${BigInt('0x' + createHash('sha256').update(id).digest('hex').slice(0, 40))
    .toString(36)
    .toUpperCase()}`;
}

/** A readable business number: PREFIX-YYYYMMDD-XXXXXX (six upper-case characters from the resource id). */
export function businessNumber(prefix: string, date: string | undefined, key: string): string {
  const day = (date ?? '').slice(0, 10).replace(/-/g, '');
  const suffix = BigInt('0x' + createHash('sha1').update(key).digest('hex').slice(0, 12))
    .toString(36)
    .toUpperCase()
    .padStart(6, '0')
    .slice(-6);
  return `${prefix}-${/^\d{8}$/.test(day) ? day : '00000000'}-${suffix}`;
}

/**
 * ISO date-time → 'YYYY-MM-DD HH:MM:SS' (UTC) for MySQL DATETIME/TIMESTAMP columns (the writer's sessions run in
 * UTC); undefined stays undefined. PostgreSQL TIMESTAMPTZ columns take `isoInstant` (explicit offset) instead.
 */
export function sqlDateTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) throw new MappingError(`invalid date-time ${iso}`);
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** ISO date-time → ISO instant with its UTC offset ('…Z'), for TIMESTAMPTZ columns: never read in a session zone. */
export function isoInstant(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) throw new MappingError(`invalid date-time ${iso}`);
  return d.toISOString();
}

export function sqlDate(iso: string | undefined): string | undefined {
  return sqlDateTime(iso)?.slice(0, 10);
}

type Coding = { system?: string; code?: string; display?: string };
type Concept = { coding?: Coding[]; text?: string } | undefined;

export function codingOf(concept: Concept, system?: string | RegExp): Coding | undefined {
  const codings = concept?.coding ?? [];
  if (system === undefined) return codings[0];
  return codings.find((c) => (typeof system === 'string' ? c.system === system : system.test(c.system ?? '')));
}

export function textOf(concept: Concept): string | undefined {
  return concept?.text ?? concept?.coding?.find((c) => c.display)?.display ?? concept?.coding?.[0]?.code;
}

export function hasCode(concepts: Concept[] | undefined, code: string): boolean {
  return (concepts ?? []).some(
    (c) =>
      (c?.coding ?? []).some((x) => x.code?.toLowerCase() === code.toLowerCase()) ||
      c?.text?.toLowerCase() === code.toLowerCase(),
  );
}

export function truncate(s: string | undefined, n: number): string | undefined {
  return s === undefined ? undefined : s.length > n ? s.slice(0, n) : s;
}

/** Drops undefined values (absent → column default / NULL). */
export function row(values: Record<string, SqlValue | undefined>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = v;
  return out;
}
