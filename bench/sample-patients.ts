/**
 * Patients of an already loaded PostgreSQL database (one kept by `npm run bench -- --keep-db`) to drive the request
 * figures with, in the shape the bench's own loading returns (bench/load-data.ts PatientSample): each with its family
 * name and, where it has one, a coded, dated Observation. A fixed table sample (REPEATABLE), so two runs on the same
 * database ask for the same patients.
 */
import pg from 'pg';
import type { PatientSample } from './load-data.js';

export async function samplePatients(databaseUrl: string, n: number): Promise<PatientSample[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ id: string; family: string; code: string | null; date: string | null }>(
      `SELECT p.id, p.content->'name'->0->>'family' AS family, o.code, o.date
         FROM (SELECT id, content FROM fhir_resource TABLESAMPLE SYSTEM (5) REPEATABLE (7)
                WHERE resource_type = 'Patient' AND NOT deleted AND content->'name'->0->>'family' IS NOT NULL
                LIMIT $1) p
         LEFT JOIN LATERAL (
           SELECT (r.content->'code'->'coding'->0->>'system') || '|' || (r.content->'code'->'coding'->0->>'code') AS code,
                  left(r.content->>'effectiveDateTime', 10) AS date
             FROM fhir_idx_reference x JOIN fhir_resource r ON r.resource_type = x.resource_type AND r.id = x.resource_id
            WHERE x.resource_type = 'Observation' AND x.param = 'patient' AND x.target_type = 'Patient'
              AND x.target_id = p.id AND r.content->>'effectiveDateTime' IS NOT NULL LIMIT 1) o ON TRUE`,
      [n],
    );
    return rows.map((r) => ({
      id: r.id,
      family: r.family,
      ...(r.code && r.date ? { observation: { code: r.code, date: r.date } } : {}),
    }));
  } finally {
    await c.end();
  }
}

/** Current (not deleted) resources in the database: the size the figures were measured at. */
export async function countResources(databaseUrl: string): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM fhir_resource WHERE NOT deleted');
    return Number(rows[0]!.n);
  } finally {
    await c.end();
  }
}
