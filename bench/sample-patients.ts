/**
 * Patients of an already loaded PostgreSQL database (one kept by `npm run bench -- --keep-db`) to drive the request
 * figures with, in the shape the bench's own loading returns (bench/load-data.ts PatientSample): patients with a
 * clinical record (an Encounter and a coded, dated vital-signs Observation, which the bench's `$lastn` asks for — the Synthea patients and their scaled copies, as the
 * bench's own samples are; not the bare patients its create phases add, nor those of its HL7 results), each with its
 * family name and one such Observation. Chosen by a hash of the id, so two runs on the same database ask for the same patients.
 */
import pg from 'pg';
import type { PatientSample } from './load-data.js';

export async function samplePatients(databaseUrl: string, n: number): Promise<PatientSample[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ id: string; family: string; code: string; date: string }>(
      `SELECT p.id, p.family, o.code, o.date
         FROM (SELECT id, content->'name'->0->>'family' AS family FROM fhir_resource
                WHERE resource_type = 'Patient' AND NOT deleted AND content->'name'->0->>'family' IS NOT NULL) p
         JOIN LATERAL (
           SELECT (r.content->'code'->'coding'->0->>'system') || '|' || (r.content->'code'->'coding'->0->>'code') AS code,
                  left(r.content->>'effectiveDateTime', 10) AS date
             FROM fhir_idx_reference x JOIN fhir_resource r ON r.resource_type = x.resource_type AND r.id = x.resource_id
            WHERE x.resource_type = 'Observation' AND x.param = 'patient' AND x.target_type = 'Patient'
              AND x.target_id = p.id AND r.content->>'effectiveDateTime' IS NOT NULL
              AND r.content->'code'->'coding'->0->>'system' IS NOT NULL
              AND r.content->'code'->'coding'->0->>'code' IS NOT NULL
              AND EXISTS (SELECT 1 FROM fhir_idx_token c
                           WHERE c.resource_type = 'Observation' AND c.resource_id = x.resource_id
                             AND c.param = 'category' AND c.code = 'vital-signs') LIMIT 1) o ON TRUE
        WHERE EXISTS (SELECT 1 FROM fhir_idx_reference e
                       WHERE e.resource_type = 'Encounter' AND e.param = 'patient' AND e.target_type = 'Patient'
                         AND e.target_id = p.id)
        ORDER BY md5(p.id) LIMIT $1`,
      [n],
    );
    return rows.map((r) => ({ id: r.id, family: r.family, observation: { code: r.code, date: r.date } }));
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
