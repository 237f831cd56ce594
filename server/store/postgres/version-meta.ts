/**
 * replaceMeta() and metaInUse() of the PostgreSQL store ($meta, $meta-add, $meta-delete). A meta replacement
 * rewrites the `meta` of one stored version in place, keeping its versionId and lastUpdated (computed by SQL from
 * the stored content, so no caller can change them): the history row, and the current row with its index in the
 * same transaction when that version is still the current one.
 */
import type { Meta } from '@medplum/fhirtypes';
import type { IndexReplacement, MetaInUse } from '../resource-store.js';
import { rewriteIndexRows } from './replace-indexes.js';
import type { SqlClient } from './sql-client.js';

const NEW_CONTENT = `jsonb_set(content, '{meta}', $4::jsonb || jsonb_strip_nulls(jsonb_build_object(
  'versionId', content->'meta'->'versionId', 'lastUpdated', content->'meta'->'lastUpdated')))`;

export async function replaceMeta(client: SqlClient, item: IndexReplacement, meta: Meta): Promise<boolean> {
  const { versionId: _v, lastUpdated: _l, ...kept } = meta;
  const values = [item.resourceType, item.id, item.versionId, JSON.stringify(kept)];
  return client.transaction(async (tx) => {
    const history = await tx.query({
      text: `UPDATE fhir_history SET content = ${NEW_CONTENT}
             WHERE resource_type = $1 AND id = $2 AND version_id = $3 AND NOT deleted RETURNING version_id`,
      values,
    });
    if (history.rows.length === 0) return false;
    const current = await tx.query({
      text: `UPDATE fhir_resource SET content = ${NEW_CONTENT}
             WHERE resource_type = $1 AND id = $2 AND version_id = $3 AND NOT deleted RETURNING version_id`,
      values,
    });
    if (current.rows.length > 0) await rewriteIndexRows(tx, [item]);
    return true;
  });
}

export async function metaInUse(client: SqlClient, resourceType: string | undefined): Promise<MetaInUse> {
  const typeFilter = resourceType === undefined ? '' : 'AND resource_type = $1';
  const values = resourceType === undefined ? [] : [resourceType];
  const tokens = await client.query<{ param: string; system: string | null; code: string | null }>({
    text: `SELECT DISTINCT param, system, code FROM fhir_idx_token
           WHERE param IN ('_tag', '_security') ${typeFilter} ORDER BY param, system, code`,
    values,
  });
  const profiles = await client.query<{ value: string }>({
    text: `SELECT DISTINCT value FROM fhir_idx_uri WHERE param = '_profile' ${typeFilter} ORDER BY value`,
    values,
  });
  const codings = (param: string) =>
    tokens.rows
      .filter((r) => r.param === param && r.code !== null)
      .map((r) => (r.system === null ? { code: r.code! } : { system: r.system, code: r.code! }));
  return { tags: codings('_tag'), security: codings('_security'), profiles: profiles.rows.map((r) => r.value) };
}
