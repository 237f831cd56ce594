/**
 * Validation CPU per resource, by resource type, over every resource of the Synthea corpus (fhir-data-pipes and
 * SMART bundles, read in place), with the cost of each pass (the @medplum/core structure pass, ajv, the JSON
 * rules, the extension rules), plus the heap and RSS after warm-up and after the corpus.
 * CPU time (process.cpuUsage, user + system) rather than wall time, so that neighbours on a shared machine count
 * less. Each pass runs over the whole corpus `--rounds` times after one warm-up round.
 * Run: npx tsx --expose-gc bench/validation-by-type.ts [--rounds 3]   (prints one JSON object)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { hasErrors, validateResource, warmUpValidation } from '../server/fhir/validation/validate-resource.js';
import { checkStructure } from '../server/fhir/validation/structure-check.js';
import { validateJsonSchema } from '../server/fhir/validation/json-schema-validator.js';
import { checkJsonRules } from '../server/fhir/validation/json-rules.js';
import { checkExtensions } from '../server/fhir/validation/extension-rules.js';
import { SYNTHEA, syntheaPresent } from './synthea-data.js';

type Json = Record<string, unknown>;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;
const gc = (globalThis as { gc?: () => void }).gc;
const mb = (n: number) => Math.round(n / 1048576);

function memory(): { heapMb: number; rssMb: number; peakRssMb: number | null } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  let peak: number | null = null;
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) peak = Math.round(Number(hwm[1]) / 1024);
  } catch {
    // not Linux
  }
  return { heapMb: mb(m.heapUsed), rssMb: mb(m.rss), peakRssMb: peak };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

if (!syntheaPresent()) {
  console.log(JSON.stringify({ benchmark: 'validation-by-type', skipped: `corpus ${SYNTHEA} absent` }));
  process.exit(0);
}

const atStart = memory();
const t0 = cpuMs();
warmUpValidation();
const warmUpCpuMs = Math.round(cpuMs() - t0);
const afterWarmUp = memory();

const resources: Json[] = [];
for (const folder of ['fhir-data-pipes-2021', 'smart-r4-2019']) {
  const dir = join(SYNTHEA, folder);
  for (const f of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const bundle = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { entry?: { resource?: Json }[] };
    for (const e of bundle.entry ?? []) if (e.resource) resources.push(e.resource);
  }
}
const byType = new Map<string, Json[]>();
for (const r of resources) {
  const type = String(r.resourceType);
  byType.set(type, [...(byType.get(type) ?? []), r]);
}

const passes: Record<string, (r: Json) => unknown> = {
  total: (r) => validateResource(r),
  structure: (r) => checkStructure(r as unknown as Resource),
  jsonSchema: (r) => validateJsonSchema(r),
  jsonRules: (r) => checkJsonRules(r),
  extensions: (r) => checkExtensions(r),
};

let invalid = 0;
for (const r of resources) if (hasErrors(validateResource(r))) invalid++; // warm-up round (every type, every path)
for (const [name, fn] of Object.entries(passes)) if (name !== 'total') for (const r of resources) fn(r);
const afterCorpus = memory();

const perType: Record<string, Record<string, number>> = {};
const overall: Record<string, number> = {};
for (const [type, list] of [...byType.entries()].sort((a, b) => b[1].length - a[1].length)) {
  const row: Record<string, number> = { count: list.length };
  for (const [name, fn] of Object.entries(passes)) {
    const start = cpuMs();
    for (let i = 0; i < rounds; i++) for (const r of list) fn(r);
    const ms = cpuMs() - start;
    row[`${name}Us`] = Math.round((ms * 1000) / (rounds * list.length));
    overall[name] = (overall[name] ?? 0) + ms;
  }
  perType[type] = row;
}
const overallUs = Object.fromEntries(
  Object.entries(overall).map(([k, ms]) => [`${k}Us`, Math.round((ms * 1000) / (rounds * resources.length))]),
);

const [load1] = (await import('node:os')).loadavg();
console.log(
  JSON.stringify(
    {
      benchmark: 'validation-by-type',
      node: process.version,
      loadAverage1m: load1,
      rounds,
      resources: resources.length,
      invalid,
      warmUpCpuMs,
      memory: {
        atStart,
        afterWarmUp,
        afterCorpus,
        note: gc ? 'after gc()' : 'run with --expose-gc for settled figures',
      },
      meanPerResource: { ...overallUs, cpuBoundPerSecondPerCore: Math.round(1e6 / (overallUs.totalUs || 1)) },
      perType,
    },
    null,
    1,
  ),
);
