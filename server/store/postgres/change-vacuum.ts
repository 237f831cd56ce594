/**
 * Keeping the change feed (fhir_change, changes.ts) small to scan. Every change row is updated once (its seq), so each
 * leaves a dead tuple and a dead entry in fhir_change_unsequenced, which every poll of the feed walks (`seq IS NULL
 * LIMIT 1`) until a VACUUM removes it: after a 1M run on a server with autovacuum off, ~53k dead entries, ~100 pages
 * and ~1.9 ms a poll. Two remedies, for the two kinds of server:
 * - autovacuum on: the table's own threshold (a fixed number of dead rows, not 20 % of the table);
 * - autovacuum off: the store VACUUMs the feed itself every CHANGE_VACUUM_EVERY versions (statistics.ts).
 */
import type { SqlClient } from './sql-client.js';

/**
 * Versions written (so dead rows once sequenced) between two VACUUMs of the change feed: CHANGE_VACUUM_EVERY, or
 * CHANGE_VACUUM_SHARE of the store's versions when more. Each VACUUM reads the feed's whole indexes (1M rows: ~20k
 * buffers, ~0.15 s CPU), so a fixed count would cost each write more as the store grows; a share keeps that cost per
 * write flat (~0.015 ms) while a poll walks at most ~1 % of the feed's rows as dead index entries (1M: ~30 pages,
 * where 50k dead entries cost 143 pages and 0.33 ms, or 681 pages and 33 ms before the first walk marked them dead).
 */
export const CHANGE_VACUUM_EVERY = 2_000;
export const CHANGE_VACUUM_SHARE = 0.01;

/**
 * INDEX_CLEANUP ON: with few dead rows against a large table VACUUM would otherwise skip the indexes (PostgreSQL ≥ 14),
 * leaving exactly the entries the polls walk. Outside a transaction.
 */
export async function vacuumChanges(client: SqlClient): Promise<void> {
  await client.exec('VACUUM (INDEX_CLEANUP ON) fhir_change');
}

const AUTOVACUUM_OPTIONS = [
  `autovacuum_vacuum_scale_factor=${CHANGE_VACUUM_SHARE}`,
  `autovacuum_vacuum_threshold=${CHANGE_VACUUM_EVERY}`,
  'vacuum_index_cleanup=on',
];

/**
 * Where autovacuum runs, fhir_change is vacuumed by the same rule instead of after 20 % of the table (200k rows at 1M),
 * indexes included; with autovacuum off these settings do nothing. Set only when not yet set: the ALTER waits for a
 * running VACUUM of the table.
 */
export async function useChangeAutovacuumSettings(client: SqlClient): Promise<void> {
  if (!client.isServer) return; // PGlite has no autovacuum
  const { rows } = await client.query<{ options: string[] | null }>({
    text: `SELECT reloptions AS options FROM pg_class WHERE relname = 'fhir_change' AND relkind = 'r' AND pg_table_is_visible(oid)`,
  });
  if (rows[0] === undefined) return;
  const options = rows[0].options ?? [];
  if (AUTOVACUUM_OPTIONS.every((o) => options.includes(o))) return;
  await client.exec(`ALTER TABLE fhir_change SET (${AUTOVACUUM_OPTIONS.join(', ')})`);
}
