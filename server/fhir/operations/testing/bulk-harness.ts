/**
 * What the bulk-data suite's parts share: the server under test (Synthea loaded), a second empty one, and helpers
 * to page through $everything and to run an export to its end.
 */
import assert from 'node:assert/strict';
import type { TestServer } from '../../../testing/test-server.js';

export type Json = Record<string, any>;

export type BulkHarness = {
  server: TestServer;
  target: TestServer;
  /** The transaction bundles loaded into `server`, with their responses (return=representation). */
  loaded: Array<{ bundle: Json; response: Json }>;
  /** Why the Synthea corpus could not be loaded (false when it was): a test that needs it skips with this reason. */
  corpusMissing: string | false;
  workDir: string;
  /** EXPORT_DIR of `server`. */
  exportDir: string;
  /** Headers that make the request a patient-context SMART token of this patient with these scopes. */
  asPatient(patientId: string, scope?: string): Record<string, string>;
};

export const keyOf = (r: Json) => `${r.resourceType}/${r.id}`;

export function patientsOf(h: BulkHarness): Json[] {
  return h.loaded.map((l) =>
    l.response.entry.map((e: Json) => e.resource).find((r: Json) => r.resourceType === 'Patient'),
  );
}

export async function pollExport(
  server: TestServer,
  location: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  for (let i = 0; i < 1200; i++) {
    const res = await server.fhir(location, { headers });
    if (res.status !== 202) return res;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('export did not finish');
}

/** Every page of a search-like URL (following `next`), as the list of Bundles. */
export async function collectBundles(
  server: TestServer,
  first: string,
  headers: Record<string, string> = {},
): Promise<Json[]> {
  const pages: Json[] = [];
  let url: string | undefined = first;
  while (url) {
    const res = await server.fhir(url, { headers });
    assert.equal(res.status, 200, res.text.slice(0, 300));
    pages.push(res.body);
    url = res.body.link?.find((l: Json) => l.relation === 'next')?.url;
  }
  return pages;
}

export type ExportRun = {
  status: number;
  kick: { status: number; body: Json; text: string };
  manifest?: Json;
  /** Every exported line, parsed. */
  resources: Json[];
  /** The raw text of every file. */
  text: string;
};

/** Kicks off an export and, when accepted, waits for it and downloads every file. */
export async function runExportTo(
  server: TestServer,
  path: string,
  headers: Record<string, string> = {},
): Promise<ExportRun> {
  const kick = await server.fhir(path, { headers: { ...headers, prefer: 'respond-async' } });
  if (kick.status !== 202) return { status: kick.status, kick, resources: [], text: kick.text };
  const done = await pollExport(server, kick.headers.get('content-location')!, headers);
  assert.equal(done.status, 200, JSON.stringify(done.body).slice(0, 300));
  let text = '';
  for (const o of done.body.output) {
    const file = await server.fhir(o.url, { headers });
    assert.equal(file.status, 200);
    const lines = file.text.split('\n').filter(Boolean);
    assert.equal(lines.length, o.count, `${o.type}: count equals the lines of the file`);
    text += file.text;
  }
  const resources = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);
  return { status: 200, kick, manifest: done.body, resources, text };
}

export async function searchCount(server: TestServer, query: string): Promise<number> {
  const sep = query.includes('?') ? '&' : '?';
  const res = await server.fhir(`${query}${sep}_summary=count&_total=accurate`);
  assert.equal(res.status, 200, res.text.slice(0, 300));
  return res.body.total as number;
}
