/**
 * The Synthea corpus as the benchmark loads it (read in place from the corpus's synthea/), and the scale
 * generator: a patient bundle rewritten with fresh urn:uuids and a new family name, so that each copy is a new
 * patient with new resources (the server assigns the ids).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusPath } from '../server/testing/corpus.js';

export const SYNTHEA = corpusPath('synthea');
const PIPES = join(SYNTHEA, 'fhir-data-pipes-2021');
const SMART = join(SYNTHEA, 'smart-r4-2019');

export const syntheaPresent = (): boolean => existsSync(PIPES) && existsSync(SMART);

/** fhir-data-pipes: reference bundles (batch, ifNoneExist: load first) and patient transactions. */
export function pipesFiles(): { reference: string[]; patients: string[] } {
  const files = readdirSync(PIPES)
    .filter((f) => f.endsWith('.json'))
    .sort();
  return {
    reference: files.filter((f) => /^(hospital|practitioner)Information/.test(f)).map((f) => join(PIPES, f)),
    patients: files.filter((f) => !/Information/.test(f) && !f.startsWith('metadata')).map((f) => join(PIPES, f)),
  };
}

export function smartPatientFiles(): string[] {
  return readdirSync(SMART)
    .filter((f) => f.endsWith('.json') && !/Information/.test(f))
    .sort()
    .map((f) => join(SMART, f));
}

export function entryCount(bundleText: string): number {
  return (JSON.parse(bundleText) as { entry?: unknown[] }).entry?.length ?? 0;
}

type Json = Record<string, any>;

/** A search sample a template yields: an Observation code with its date, on the bundle's patient. */
export type ObservationSample = { code: string; date: string };

export type Template = {
  file: string;
  text: string;
  entries: number;
  family: string;
  observation?: ObservationSample;
};

export function loadTemplate(file: string): Template {
  const bundle = JSON.parse(readFileSync(file, 'utf8')) as Json;
  const text = JSON.stringify(bundle);
  const entries: Json[] = bundle['entry'] ?? [];
  const patient = entries.find((e) => e['resource']?.resourceType === 'Patient')?.['resource'];
  const family: string = patient?.name?.[0]?.family ?? '';
  const obs = entries
    .map((e) => e['resource'])
    .find((r) => r?.resourceType === 'Observation' && r.code?.coding?.[0]?.code && r.effectiveDateTime);
  const template: Template = { file, text, entries: entries.length, family };
  if (obs)
    template.observation = {
      code: `${obs.code.coding[0].system}|${obs.code.coding[0].code}`,
      date: String(obs.effectiveDateTime).slice(0, 10),
    };
  return template;
}

const URN = /urn:uuid:[0-9a-fA-F-]{36}/g;
const IDENTIFIER =
  /"system":"(https:\/\/github\.com\/synthetichealth\/synthea|http:\/\/hl7\.org\/fhir\/sid\/us-npi)","value":"([^"]+)"/g;

/** Copy `copy` of a template: every urn:uuid replaced consistently by a fresh one, the family name suffixed. */
export function scaledCopy(template: Template, copy: number): { text: string; family: string } {
  const fresh = new Map<string, string>();
  let text = template.text.replace(URN, (u) => {
    let v = fresh.get(u);
    if (!v) fresh.set(u, (v = `urn:uuid:${randomUUID()}`));
    return v;
  });
  // Identifiers that conditional references resolve (Synthea organisations/locations, practitioners' NPI) are made
  // unique per copy: a SMART bundle's embedded Organization must not duplicate a pipes hospital already loaded.
  text = text.replace(
    IDENTIFIER,
    (_m, system: string, value: string) => `"system":"${system}","value":"${value}-b${copy.toString(36)}"`,
  );
  const family = template.family ? `${template.family}B${copy.toString(36)}` : '';
  if (family) text = text.split(`"family":"${template.family}"`).join(`"family":"${family}"`);
  return { text, family };
}
