/**
 * Index extraction speed: µs per resource for extractIndex() (and compartmentsOf()) on real Synthea
 * resources (Patient, Observation, Encounter, Claim), with urn:uuid references rewritten to Type/id as a
 * transaction would; also without the compiled fast paths (Medplum's engine for every expression). Prints JSON. Usage:
 * npx tsx bench/index-extraction.ts [iterations]
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { extractIndex, extractIndexWithoutFastPaths } from '../server/fhir/indexing/extract-index.js';
import { compartmentsOf } from '../server/fhir/indexing/compartments.js';
import { corpusPath } from '../server/testing/corpus.js';

const CORPUS = corpusPath('synthea', 'smart-r4-2019');
const TYPES = ['Patient', 'Observation', 'Encounter', 'Claim'] as const;

function loadResources(): Map<string, Resource[]> {
  const byType = new Map<string, Resource[]>(TYPES.map((t) => [t, []]));
  if (!existsSync(CORPUS)) {
    console.error(`corpus not found at ${CORPUS}`);
    process.exit(1);
  }
  for (const name of readdirSync(CORPUS)
    .filter((n) => n.endsWith('.json'))
    .slice(0, 8)) {
    const bundle = JSON.parse(readFileSync(join(CORPUS, name), 'utf8')) as Bundle;
    const ids = new Map<string, string>();
    for (const e of bundle.entry ?? [])
      if (e.fullUrl && e.resource) ids.set(e.fullUrl, `${e.resource.resourceType}/${e.resource.id}`);
    const text = JSON.stringify(bundle).replace(/"reference":"(urn:uuid:[^"]+)"/g, (m, u: string) =>
      ids.has(u) ? `"reference":"${ids.get(u)}"` : m,
    );
    for (const e of (JSON.parse(text) as Bundle).entry ?? []) {
      const r = e.resource;
      if (r && byType.has(r.resourceType))
        byType
          .get(r.resourceType)!
          .push({ ...r, meta: { ...r.meta, lastUpdated: '2024-05-01T10:00:00Z', versionId: '1' } });
    }
  }
  return byType;
}

/** CPU µs (user + system) per call: wall time is meaningless on a shared, loaded machine. */
function measure(resources: Resource[], fn: (r: Resource) => unknown, minMs = 1500): number {
  for (let round = 0; round < 20; round++) for (const r of resources.slice(0, 100)) fn(r); // warm up
  let n = 0;
  const start = process.cpuUsage();
  const cpuMicros = () => {
    const used = process.cpuUsage(start);
    return used.user + used.system;
  };
  while (cpuMicros() < minMs * 1000) {
    for (const r of resources) fn(r);
    n += resources.length;
  }
  return cpuMicros() / n;
}

const result: Record<string, unknown> = {};
for (const [type, resources] of loadResources()) {
  if (resources.length === 0) continue;
  const entries = resources.reduce((s, r) => s + extractIndex(r).entries.length, 0) / resources.length;
  const extractUs = measure(resources, extractIndex);
  const medplumOnlyUs = measure(resources, extractIndexWithoutFastPaths, 1000);
  const compartmentsUs = measure(resources, compartmentsOf, 500);
  result[type] = {
    resources: resources.length,
    entriesPerResource: Number(entries.toFixed(1)),
    extractIndexCpuMicros: Number(extractUs.toFixed(1)),
    perSecond: Math.round(1e6 / extractUs),
    withoutFastPathsCpuMicros: Number(medplumOnlyUs.toFixed(1)),
    compartmentsOfCpuMicros: Number(compartmentsUs.toFixed(1)),
  };
}
console.log(
  JSON.stringify(
    {
      bench: 'index-extraction',
      node: process.version,
      loadAverage: (await import('node:os')).loadavg()[0],
      results: result,
    },
    null,
    2,
  ),
);
