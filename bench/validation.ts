/**
 * Validation speed on the write path: µs per Patient / Observation / Encounter / Claim (Synthea resources from
 * the corpus when present, built-in samples otherwise), and resources/s over whole Synthea bundles.
 * Run: npx tsx bench/validation.ts   (prints one JSON object)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateResource as medplumValidate } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { hasErrors, validateResource } from '../server/fhir/validation/validate-resource.js';
import { corpusPath } from '../server/testing/corpus.js';

const SYNTHEA = corpusPath('synthea', 'smart-r4-2019');
const TYPES = ['Patient', 'Observation', 'Encounter', 'Claim'] as const;

type Json = Record<string, unknown>;

function corpusResources(): Json[] {
  if (!existsSync(SYNTHEA)) return [];
  const files = readdirSync(SYNTHEA)
    .filter((f) => f.endsWith('.json') && !/Information/.test(f))
    .slice(0, 5);
  return files.flatMap((f) =>
    ((JSON.parse(readFileSync(join(SYNTHEA, f), 'utf8')) as { entry?: { resource: Json }[] }).entry ?? []).map(
      (e) => e.resource,
    ),
  );
}

const SAMPLES: Record<(typeof TYPES)[number], Json> = {
  Patient: {
    resourceType: 'Patient',
    id: 'p1',
    identifier: [{ system: 'urn:x', value: '1' }],
    name: [{ family: 'Osman', given: ['Amna'] }],
    gender: 'female',
    birthDate: '1985-03-14',
  },
  Observation: {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: 'Patient/p1' },
    valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  },
  Encounter: {
    resourceType: 'Encounter',
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: 'Patient/p1' },
  },
  Claim: {
    resourceType: 'Claim',
    status: 'active',
    type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/claim-type', code: 'institutional' }] },
    use: 'claim',
    patient: { reference: 'Patient/p1' },
    created: '2026-11-25',
    provider: { reference: 'Organization/o1' },
    priority: { coding: [{ code: 'normal' }] },
    insurance: [{ sequence: 1, focal: true, coverage: { reference: 'Coverage/c1' } }],
    total: { value: 1200, currency: 'SDG' },
  },
};

function loop(fn: () => unknown, minMs: number): { us: number; iterations: number } {
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 20; i++) fn();
    iterations += 20;
    elapsed = performance.now() - start;
  }
  return { us: Math.round(((elapsed * 1000) / iterations) * 10) / 10, iterations };
}

/** Our full validation vs @medplum/core's pass alone (the floor), each after a JIT warm-up. */
function timeEach(resource: Json): { us: number; perSecond: number; iterations: number; medplumOnlyUs: number } {
  const ours = () => validateResource(resource);
  const medplum = () => {
    try {
      medplumValidate(resource as unknown as Resource);
    } catch {
      // errors are thrown as OperationOutcomeError; only the time matters here
    }
  };
  loop(ours, 1000);
  loop(medplum, 500);
  const measured = loop(ours, 2000);
  const floor = loop(medplum, 1000);
  return { ...measured, perSecond: Math.round(1e6 / measured.us), medplumOnlyUs: floor.us };
}

const t0 = performance.now();
validateResource({ resourceType: 'Patient' });
const firstCallMs = Math.round(performance.now() - t0);

const corpus = corpusResources();
const perType: Record<string, unknown> = {};
for (const type of TYPES) {
  const sample = corpus.find((r) => r.resourceType === type) ?? SAMPLES[type];
  perType[type] = { source: corpus.includes(sample) ? 'synthea' : 'built-in', ...timeEach(sample) };
}

let bundle: Record<string, unknown> = { note: `corpus ${SYNTHEA} absent` };
if (corpus.length) {
  for (let i = 0; i < 3; i++) for (const r of corpus) validateResource(r); // warm up every type present
  const start = performance.now();
  let invalid = 0;
  for (const r of corpus) if (hasErrors(validateResource(r))) invalid++;
  const ms = performance.now() - start;
  bundle = {
    resources: corpus.length,
    invalid,
    ms: Math.round(ms),
    perSecond: Math.round((corpus.length * 1000) / ms),
  };
}

const [load1] = (await import('node:os')).loadavg();
console.log(
  JSON.stringify(
    { benchmark: 'validation', node: process.version, loadAverage1m: load1, firstCallMs, perType, synthea: bundle },
    null,
    2,
  ),
);
