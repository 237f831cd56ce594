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
import type { AuditLogRow } from './audit-event.js';
import { auditWhere, Binder } from './audit-search.js';
import { auditLogId } from './audit-log-id.js';

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

/** The schema nilecare_auth gets when it is embedded in the store's PostgreSQL (server/state/open-state.ts). */
export const EMBEDDED_AUTH_SCHEMA = 'nilecare_auth';

export interface AuditTable {
  /** Appends the rows in one statement (atomic); resolves once they are committed. */
  append(rows: readonly AuditRow[]): Promise<void>;
  /**
   * Appends the rows and their auth_audit_logs rows (nilecare_auth embedded in this database, EMBEDDED_AUTH_SCHEMA)
   * in ONE statement: one round trip and one commit for both tables. Throws the foreign-key violation of an unknown
   * user id (nothing written then; audit-sink.ts falls back to row by row).
   */
  appendWithLogs(rows: readonly AuditRow[], logs: readonly AuditLogRow[]): Promise<void>;
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
  // On a PostgreSQL server the batch commits without waiting for its WAL flush (see ASYNC_COMMIT); not on PGlite,
  // which runs inside this process: there an unflushed commit would die with it.
  const [append, appendWithLogs] = client.isServer
    ? [ASYNC_APPEND, ASYNC_APPEND_WITH_LOGS]
    : [
        { name: 'fhir_audit_append', text: APPEND },
        { name: 'fhir_audit_append_with_logs', text: APPEND_WITH_LOGS },
      ];
  const run = (statement: SqlStatement, timeoutMs?: number) =>
    timeoutMs !== undefined && client.queryWithTimeout
      ? client.queryWithTimeout<Row>(statement, timeoutMs)
      : client.query<Row>(statement);
  return {
    async append(rows) {
      if (rows.length === 0) return;
      await client.query({ ...append, values: rowValues(rows) });
    },
    async appendWithLogs(rows, logs) {
      if (rows.length !== logs.length) throw new Error('appendWithLogs: one log row per audit row');
      if (rows.length === 0) return;
      await client.query({ ...appendWithLogs, values: [...rowValues(rows), ...logValues(logs)] });
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

// The batch travels as arrays, one per column (statement text independent of the batch size: prepared once per
// connection); the JSON texts as one JSON array each, whose elements json_array_elements returns as written.
const ROW_COLUMNS = `unnest($1::bigint[]), unnest($2::text[]), unnest($3::text[]), unnest($4::text[]), unnest($5::text[]),
  unnest($6::text[]), unnest($7::text[]), json_array_elements($8::json)`;
const ROW_NAMES = 'recorded_ms, action, type, subtype, outcome, agent, entity, content';

const APPEND = `INSERT INTO fhir_audit_event (${ROW_NAMES})
  SELECT recorded_ms, action, type, subtype, outcome, agent, entity, content::text
  FROM ROWS FROM (${ROW_COLUMNS}) AS u(${ROW_NAMES})`;

const APPEND_WITH_LOGS = `WITH v AS (SELECT * FROM ROWS FROM (${ROW_COLUMNS},
    unnest($9::text[]), unnest($10::text[]), unnest($11::text[]), unnest($12::text[]), unnest($13::text[]),
    jsonb_array_elements($14::jsonb), unnest($15::text[]))
  AS u(${ROW_NAMES}, log_user, log_action, log_resource, log_result, log_ip, log_metadata, log_id)),
logs AS (INSERT INTO ${EMBEDDED_AUTH_SCHEMA}.auth_audit_logs (id, user_id, action, resource, result, ip_address, metadata, "timestamp")
  SELECT log_id, log_user, log_action, log_resource, log_result, log_ip, log_metadata, (now() AT TIME ZONE 'UTC') FROM v)
INSERT INTO fhir_audit_event (${ROW_NAMES})
  SELECT recorded_ms, action, type, subtype, outcome, agent, entity, content::text FROM v`;

/**
 * The audit batch's commit does not wait for its WAL flush (synchronous_commit off for that transaction only, set
 * inside the statement: one round trip still). Measured on a scratch database (load 17–22, one connection, backend
 * CPU from /proc): 427–447 → 140–142 µs of PostgreSQL CPU per one-record batch, 457–510 → 207–210 per four, 653 →
 * 380–480 per sixteen; the write's wall time 7 ms → ~1 ms. The flush was most of an audited read's PostgreSQL cost.
 * What it changes: a PostgreSQL or host crash can lose the audit batches committed in the last ~3 × wal_writer_delay
 * (600 ms by default) — requests already answered, as for the group-commit window. A crash of this server process
 * (kill -9) loses nothing more (PostgreSQL flushes what it acknowledged), a SIGTERM flushes as before, and the FHIR
 * writes themselves still commit synchronously.
 */
const ASYNC_COMMIT = `(SELECT set_config('synchronous_commit', 'off', true)) AS async_commit`;
const ASYNC_APPEND = { name: 'fhir_audit_append_async', text: `${APPEND}, ${ASYNC_COMMIT}` };
const ASYNC_APPEND_WITH_LOGS = {
  name: 'fhir_audit_append_with_logs_async',
  text: `${APPEND_WITH_LOGS}, ${ASYNC_COMMIT}`,
};

function rowValues(rows: readonly AuditRow[]): unknown[] {
  return [
    pgArray(rows.map((r) => r.recordedMs)),
    pgArray(rows.map((r) => r.action)),
    pgArray(rows.map((r) => r.type)),
    pgArray(rows.map((r) => r.subtype)),
    pgArray(rows.map((r) => r.outcome)),
    pgArray(rows.map((r) => r.agent)),
    pgArray(rows.map((r) => r.entity)),
    `[${rows.map((r) => r.content).join(',')}]`, // each content is JSON text already
  ];
}

function logValues(logs: readonly AuditLogRow[]): unknown[] {
  return [
    pgArray(logs.map((l) => l.userId)),
    pgArray(logs.map((l) => l.action)),
    pgArray(logs.map((l) => l.resource)),
    pgArray(logs.map((l) => l.result)),
    pgArray(logs.map((l) => l.ipAddress)),
    JSON.stringify(logs.map((l) => l.metadata)),
    pgArray(logs.map(() => auditLogId())), // time-ordered: the primary key grows at its right edge
  ];
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
