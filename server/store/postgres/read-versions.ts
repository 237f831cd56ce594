/** read, vread, readMany and readCurrentMany: fixed, prepared statements. */
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceKey, StoredVersion } from '../resource-store.js';
import type { SqlExecutor } from './sql-client.js';
import { applyNumberTexts } from '../../json/number-texts.js';

export const VERSION_COLUMNS = 'resource_type, id, version_id, last_updated, deleted, content, number_texts';

export type VersionRow = {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: string;
  deleted: boolean;
  content: Resource | string | null;
  /** The texts of numbers that String() would not write as written (server/json/number-texts.ts); usually null. */
  number_texts?: unknown;
};

export function toStoredVersion(row: VersionRow): StoredVersion {
  const content = typeof row.content === 'string' ? (JSON.parse(row.content) as Resource) : row.content;
  if (content && row.number_texts != null) {
    applyNumberTexts(content, typeof row.number_texts === 'string' ? JSON.parse(row.number_texts) : row.number_texts);
  }
  return {
    resourceType: row.resource_type,
    id: row.id,
    versionId: Number(row.version_id),
    lastUpdated: row.last_updated,
    deleted: row.deleted,
    resource: row.deleted ? null : content,
  };
}

export async function readCurrent(
  db: SqlExecutor,
  resourceType: string,
  id: string,
): Promise<StoredVersion | undefined> {
  const { rows } = await db.query<VersionRow>({
    name: 'fhir_read',
    text: `SELECT ${VERSION_COLUMNS} FROM fhir_resource WHERE resource_type = $1 AND id = $2`,
    values: [resourceType, id],
  });
  return rows[0] ? toStoredVersion(rows[0]) : undefined;
}

export async function readVersion(
  db: SqlExecutor,
  resourceType: string,
  id: string,
  versionId: number,
): Promise<StoredVersion | undefined> {
  if (!Number.isInteger(versionId) || versionId < 1 || versionId > 2_147_483_647) return undefined;
  const { rows } = await db.query<VersionRow>({
    name: 'fhir_vread',
    text: `SELECT ${VERSION_COLUMNS} FROM fhir_history WHERE resource_type = $1 AND id = $2 AND version_id = $3`,
    values: [resourceType, id, versionId],
  });
  return rows[0] ? toStoredVersion(rows[0]) : undefined;
}

/**
 * The keys of readMany and readCurrentMany: two arrays, each behind a scalar sub-select so that no plan sees their
 * length. A custom plan of `unnest($1::text[], $2::text[])` counts the keys while the generic plan assumes 10, so for
 * the 2–6 keys of an HL7 message's reads the generic plan looked dearer and every execution was planned again at bind;
 * with the arrays hidden both plans assume 10 keys (an index probe each), cost the same, and PostgreSQL keeps the
 * generic one after five executions. (A json parameter with json_to_recordset hides them too, but assumes 100 keys:
 * on a table of a few thousand rows that plan was a sequential scan.)
 */
const KEYS = `SELECT * FROM unnest((SELECT $1::text[]), (SELECT $2::text[]))`;

function keysParameters(keys: ResourceKey[]): [string[], string[]] {
  return [keys.map((k) => k.resourceType), keys.map((k) => k.id)];
}

export async function readMany(db: SqlExecutor, keys: ResourceKey[]): Promise<StoredVersion[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<VersionRow>({
    name: 'fhir_read_many',
    text: `SELECT ${VERSION_COLUMNS} FROM fhir_resource WHERE (resource_type, id) IN (${KEYS}) AND NOT deleted`,
    values: keysParameters(keys),
  });
  return rows.map(toStoredVersion);
}

/** Like readMany, delete versions included: one statement for all keys. */
export async function readCurrentMany(db: SqlExecutor, keys: ResourceKey[]): Promise<StoredVersion[]> {
  if (keys.length === 0) return [];
  const { rows } = await db.query<VersionRow>({
    name: 'fhir_read_current_many',
    text: `SELECT ${VERSION_COLUMNS} FROM fhir_resource WHERE (resource_type, id) IN (${KEYS})`,
    values: keysParameters(keys),
  });
  return rows.map(toStoredVersion);
}
