/** Instance, type and system history: newest first, keyset paging over (last_updated_ms, type, id, version). */
import { UnsupportedQueryError, type HistoryPage, type HistoryQuery } from '../resource-store.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { toStoredVersion, VERSION_COLUMNS, type VersionRow } from './read-versions.js';
import type { SqlExecutor } from './sql-client.js';

type HistoryCursor = [ms: number, resourceType: string, id: string, versionId: number];

const isHistoryCursor = (v: unknown): v is HistoryCursor =>
  Array.isArray(v) &&
  v.length === 4 &&
  typeof v[0] === 'number' &&
  typeof v[1] === 'string' &&
  typeof v[2] === 'string' &&
  Number.isInteger(v[3]);

export async function readHistory(db: SqlExecutor, query: HistoryQuery): Promise<HistoryPage> {
  const values: unknown[] = [];
  const bind = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const where: string[] = [];
  let order: string;
  if (query.resourceType !== undefined && query.id !== undefined) {
    where.push(`resource_type = ${bind(query.resourceType)}`, `id = ${bind(query.id)}`);
    order = 'version_id DESC';
  } else if (query.resourceType !== undefined) {
    where.push(`resource_type = ${bind(query.resourceType)}`);
    order = 'last_updated_ms DESC, id DESC, version_id DESC';
  } else {
    order = 'last_updated_ms DESC, resource_type DESC, id DESC, version_id DESC';
  }
  const filters = [...where];
  if (query.since !== undefined) filters.push(`last_updated_ms >= ${bind(instantMs(query.since))}::bigint`);
  if (query.before !== undefined) filters.push(`last_updated_ms <= ${bind(instantMs(query.before))}::bigint`);
  const totalFilters = [...filters];
  const totalValues = [...values];
  if (query.cursor !== undefined) {
    const [ms, type, id, version] = decodeCursor(query.cursor, isHistoryCursor);
    if (query.id !== undefined) filters.push(`version_id < ${bind(version)}::int`);
    else if (query.resourceType !== undefined)
      filters.push(
        `(last_updated_ms, id, version_id) < (${bind(ms)}::bigint, ${bind(id)}::text, ${bind(version)}::int)`,
      );
    else
      filters.push(
        `(last_updated_ms, resource_type, id, version_id) < (${bind(ms)}::bigint, ${bind(type)}::text, ${bind(id)}::text, ${bind(version)}::int)`,
      );
  }
  const count = Math.max(0, Math.floor(query.count));
  const { rows } = await db.query<VersionRow & { last_updated_ms: number }>({
    text: `SELECT ${VERSION_COLUMNS}, last_updated_ms FROM fhir_history ${whereClause(filters)} ORDER BY ${order} LIMIT ${bind(count + 1)}`,
    values,
  });
  const page: HistoryPage = { versions: rows.slice(0, count).map(toStoredVersion) };
  const last = rows[count - 1];
  if (rows.length > count && last) {
    page.nextCursor = encodeCursor([
      Number(last.last_updated_ms),
      last.resource_type,
      last.id,
      Number(last.version_id),
    ] satisfies HistoryCursor);
  }
  if (query.id !== undefined) {
    const total = await db.query<{ n: number }>({
      text: `SELECT count(*)::int AS n FROM fhir_history ${whereClause(totalFilters)}`,
      values: totalValues,
    });
    page.total = Number(total.rows[0]?.n ?? 0);
  }
  return page;
}

function whereClause(filters: string[]): string {
  return filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '';
}

function instantMs(iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new UnsupportedQueryError(`Not an instant: ${iso}`);
  return ms;
}
