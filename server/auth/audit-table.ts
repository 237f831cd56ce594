/**
 * The audit trail in the FHIR store's PostgreSQL (server or embedded PGlite): one compact append-only row per
 * audited access (audit-rows.ts), many rows per INSERT (audit-sink.ts group-commits them), read and searched as
 * AuditEvent resources (audit-event-store.ts, audit-search.ts). Three small indexes instead of a full FHIR write with
 * its index rows per event: agent and entity (b-tree, with seq for keyset paging) and recorded (BRIN: the rows arrive
 * in time order).
 */
import { UnsupportedQueryError, type StoredVersion } from '../store/resource-store.js';
import type { SqlClient, SqlStatement } from '../store/postgres/sql-client.js';
import type { SearchPage, SearchQuery } from '../fhir/search/search-query.js';
import { decodeCursor, encodeCursor } from '../store/postgres/cursor.js';
import { pgArray } from '../store/postgres/pg-array.js';
import { auditVersion, type AuditRow } from './audit-rows.js';
import { auditWhere, Binder } from './audit-search.js';
import { toDollarPlaceholders } from '../state/state-db.js';

const DDL = `
CREATE TABLE IF NOT EXISTS fhir_audit_event (
  seq bigserial PRIMARY KEY,
  recorded_ms bigint NOT NULL,
  action text NOT NULL,
  type text NOT NULL,
  subtype text,
  outcome text NOT NULL,
  agent text,
  entity text,
  content text NOT NULL
);
CREATE INDEX IF NOT EXISTS fhir_audit_event_agent ON fhir_audit_event (agent, seq) WHERE agent IS NOT NULL;
CREATE INDEX IF NOT EXISTS fhir_audit_event_entity ON fhir_audit_event (entity, seq) WHERE entity IS NOT NULL;
CREATE INDEX IF NOT EXISTS fhir_audit_event_recorded ON fhir_audit_event USING brin (recorded_ms);
`;

export interface AuditTable {
  /** Appends the rows in one statement (atomic); resolves once they are committed. */
  append(rows: readonly AuditRow[]): Promise<void>;
  /** The rows with these ids (sequence numbers), as AuditEvent versions; unknown ids are left out. */
  read(ids: readonly string[]): Promise<StoredVersion[]>;
  search(query: SearchQuery): Promise<SearchPage<StoredVersion>>;
}

export async function openAuditTable(client: SqlClient): Promise<AuditTable> {
  // one creator at a time when several nodes start on the same database
  await client.transaction(async (tx) => {
    await tx.query({ text: `SELECT pg_advisory_xact_lock(hashtext('fhir_audit_event'))` });
    for (const statement of DDL.split(';').filter((s) => s.trim())) await tx.query({ text: statement });
  });
  const run = (statement: SqlStatement, timeoutMs?: number) =>
    timeoutMs !== undefined && client.queryWithTimeout
      ? client.queryWithTimeout<Row>(statement, timeoutMs)
      : client.query<Row>(statement);
  return {
    async append(rows) {
      if (rows.length === 0) return;
      const { sql, params } = appendStatement(rows);
      await client.query({ name: 'fhir_audit_append', text: toDollarPlaceholders(sql), values: params });
    },
    async read(ids) {
      const seqs = ids.filter((id) => /^\d{1,18}$/.test(id));
      if (seqs.length === 0) return [];
      const { rows } = await client.query<Row>({
        name: 'fhir_audit_read',
        text: 'SELECT seq::text AS seq, recorded_ms::text AS recorded_ms, content FROM fhir_audit_event WHERE seq = ANY($1::bigint[])',
        values: [pgArray(seqs)],
      });
      return rows.map(versionOf);
    },
    async search(query) {
      const descending = sortDescending(query);
      const b = new Binder();
      const where = auditWhere(query.conditions, b);
      let total: number | undefined;
      if (query.total !== 'none' || query.count === 0) {
        const counted = await run(
          { text: `SELECT count(*)::int AS n FROM fhir_audit_event WHERE ${where}`, values: b.values },
          query.timeoutMs,
        );
        total = Number(counted.rows[0]?.n ?? 0);
        if (query.count === 0) return { entries: [], total };
      }
      const after = query.cursor ? decodeCursor(query.cursor, isAuditCursor).after : undefined;
      const keyset = after === undefined ? 'TRUE' : `seq ${descending ? '<' : '>'} ${b.bind(after)}::bigint`;
      const { rows } = await run(
        {
          text: `SELECT seq::text AS seq, recorded_ms::text AS recorded_ms, content FROM fhir_audit_event
            WHERE (${where}) AND ${keyset} ORDER BY seq ${descending ? 'DESC' : 'ASC'} LIMIT ${b.bind(query.count + 1)}`,
          values: b.values,
        },
        query.timeoutMs,
      );
      const page = rows.slice(0, query.count).map(versionOf);
      const last = page[page.length - 1];
      return {
        entries: page,
        ...(total !== undefined ? { total } : {}),
        ...(rows.length > query.count && last ? { nextCursor: encodeCursor({ after: last.id }) } : {}),
      };
    },
  };
}

/**
 * The INSERT of a batch of rows, with `?` placeholders: audit-sink.ts runs it inside the transaction of the
 * auth_audit_logs rows when nilecare_auth is embedded in the same database (one commit for both).
 */
export function appendStatement(rows: readonly AuditRow[]): { sql: string; params: unknown[] } {
  return {
    sql: `INSERT INTO fhir_audit_event (recorded_ms, action, type, subtype, outcome, agent, entity, content)
      SELECT * FROM unnest(?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])`,
    params: [
      pgArray(rows.map((r) => r.recordedMs)),
      pgArray(rows.map((r) => r.action)),
      pgArray(rows.map((r) => r.type)),
      pgArray(rows.map((r) => r.subtype)),
      pgArray(rows.map((r) => r.outcome)),
      pgArray(rows.map((r) => r.agent)),
      pgArray(rows.map((r) => r.entity)),
      pgArray(rows.map((r) => r.content)),
    ],
  };
}

type Row = { seq?: string; recorded_ms?: string; content?: string; n?: number };

function versionOf(row: Row): StoredVersion {
  return auditVersion(String(row.seq), Number(row.recorded_ms), String(row.content));
}

function isAuditCursor(value: unknown): value is { after: string } {
  return (
    typeof (value as { after?: unknown } | null)?.after === 'string' &&
    /^\d{1,18}$/.test((value as { after: string }).after)
  );
}

/**
 * Rows are kept in the order they were recorded: sorting by date, _lastUpdated or _id is sorting by seq. Newest first
 * unless asked otherwise.
 */
function sortDescending(query: SearchQuery): boolean {
  const [first, ...rest] = query.sort;
  if (!first) return true;
  const sortsBySeq = (k: SearchQuery['sort'][number]) =>
    k.kind === 'lastUpdated' || k.kind === 'id' || ('param' in k && k.param === 'date');
  if (!sortsBySeq(first) || !rest.every(sortsBySeq))
    throw new UnsupportedQueryError('AuditEvent results can be sorted by date, _lastUpdated or _id only');
  return first.descending;
}
