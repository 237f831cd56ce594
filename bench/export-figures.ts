/**
 * Bulk operations as a client sees them: the server (in this process) on a fresh PostgreSQL database (or PGlite),
 * Synthea reference bundles + N patient bundles loaded, then timed: system, Patient- and Group-level $export (kick-off
 * to manifest, resources per second) and Patient/$everything paged with _count=50. Prints one JSON object.
 * Usage: npx tsx bench/export-figures.ts [--patients 10] [--store postgres|pglite]
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { pgliteTestStore, postgresTestStore } from '../server/store/postgres/testing/test-stores.js';
import { startTestServer, type TestServer } from '../server/testing/test-server.js';
import { pipesFiles, syntheaPresent } from './synthea-data.js';

type Json = Record<string, any>;
const { values } = parseArgs({
  options: { patients: { type: 'string', default: '10' }, store: { type: 'string', default: 'postgres' } },
});
const log = (line: string) => console.error(`[export-figures] ${line}`);

async function timedExport(server: TestServer, path: string): Promise<{ ms: number; resources: number }> {
  const started = performance.now();
  const kick = await server.fhir(path, { headers: { prefer: 'respond-async' } });
  if (kick.status !== 202) throw new Error(`${path}: ${kick.status} ${kick.text.slice(0, 200)}`);
  const where = kick.headers.get('content-location')!;
  for (;;) {
    const res = await server.fhir(where);
    if (res.status === 200) {
      const ms = performance.now() - started;
      return {
        ms: Math.round(ms),
        resources: (res.body.output as Json[]).reduce((n, o) => n + (o.count as number), 0),
      };
    }
    if (res.status !== 202) throw new Error(`${path}: ${res.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

if (!syntheaPresent()) {
  log('Synthea corpus absent: nothing measured');
  process.exit(1);
}
const { store, dispose } = await (values.store === 'pglite' ? pgliteTestStore() : postgresTestStore());
const dir = mkdtempSync(join(tmpdir(), 'export-figures-'));
const server = await startTestServer(store, { env: { EXPORT_DIR: dir } });
try {
  const { reference, patients } = pipesFiles();
  const chosen = patients.slice(0, Number(values.patients));
  const patientIds: string[] = [];
  for (const file of [...reference, ...chosen]) {
    const res = await server.fhir('/', { method: 'POST', body: JSON.parse(readFileSync(file, 'utf8')) });
    if (res.status !== 200) throw new Error(`${file}: ${res.status}`);
    for (const e of res.body.entry ?? []) {
      const m = /^Patient\/([^/]+)/.exec(e.response?.location ?? '');
      if (m?.[1]) patientIds.push(m[1]);
    }
  }
  log(`loaded ${chosen.length} patients`);
  const group = await server.fhir('/Group', {
    method: 'POST',
    body: {
      resourceType: 'Group',
      type: 'person',
      actual: true,
      member: patientIds.map((id) => ({ entity: { reference: `Patient/${id}` } })),
    },
  });
  const figures: Record<string, unknown> = {};
  for (const [name, path] of [
    ['system', '/$export'],
    ['patient', '/Patient/$export'],
    ['group', `/Group/${group.body.id}/$export`],
  ] as const) {
    const r = await timedExport(server, path);
    figures[`export_${name}`] = { ...r, resources_per_s: Math.round((r.resources / r.ms) * 1000) };
    log(`${name}: ${JSON.stringify(figures[`export_${name}`])}`);
  }
  const pageMs: number[] = [];
  for (const id of patientIds) {
    let url: string | undefined = `/Patient/${id}/$everything?_count=50`;
    while (url) {
      const started = performance.now();
      const res = await server.fhir(url);
      pageMs.push(performance.now() - started);
      url = (res.body.link as Json[]).find((l) => l.relation === 'next')?.url;
    }
  }
  pageMs.sort((a, b) => a - b);
  figures['everything_page_ms'] = {
    pages: pageMs.length,
    p50: Math.round(pageMs[Math.floor(pageMs.length / 2)] ?? 0),
    p95: Math.round(pageMs[Math.floor(pageMs.length * 0.95)] ?? 0),
  };
  console.log(JSON.stringify({ context: { store: values.store, patients: chosen.length }, figures }, null, 2));
} finally {
  await server.close();
  await store.close();
  await dispose();
  rmSync(dir, { recursive: true, force: true });
}
