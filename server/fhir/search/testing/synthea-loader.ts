/**
 * Loads a few Synthea patient bundles of both corpus sets (plus the fhir-data-pipes hospital and
 * practitioner bundles their conditional references need) into a store: urn:uuid and conditional
 * (`Practitioner?identifier=sys|val`) references are resolved to `Type/id` here, and each resource is
 * written as version 1 with extractIndex. The lead will later switch this to the REST API.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { extractIndex } from '../../indexing/extract-index.js';
import type { ResourceStore, VersionWrite } from '../../../store/resource-store.js';
import { corpusMissing, corpusPath } from '../../../testing/corpus.js';

export const SYNTHEA_DIR = corpusPath('synthea');
const PIPES = 'fhir-data-pipes-2021';
const SMART = 'smart-r4-2019';

/** Why the Synthea sets cannot be loaded (false when they can); under CI=true their absence throws. */
export function syntheaMissing(): string | false {
  return corpusMissing(join(SYNTHEA_DIR, PIPES), join(SYNTHEA_DIR, SMART));
}

/** The `perSet` smallest patient bundles of each set (deterministic), after the pipes org/practitioner bundles. */
export function syntheaFiles(perSet = 3): string[] {
  const patients = (set: string) =>
    readdirSync(join(SYNTHEA_DIR, set))
      .filter((f) => f.endsWith('.json') && !/^(hospital|practitioner)Information/.test(f))
      .map((f) => join(SYNTHEA_DIR, set, f))
      .sort((a, b) => statSync(a).size - statSync(b).size || a.localeCompare(b))
      .slice(0, perSet);
  const support = readdirSync(join(SYNTHEA_DIR, PIPES))
    .filter((f) => /^(hospital|practitioner)Information.*\.json$/.test(f))
    .sort()
    .map((f) => join(SYNTHEA_DIR, PIPES, f));
  return [...support, ...patients(PIPES), ...patients(SMART)];
}

/** First instant stamped as meta.lastUpdated; resource i gets BASE + i seconds. */
export const LOAD_BASE_TIME = Date.UTC(2024, 0, 1);

export async function loadSynthea(store: ResourceStore, files = syntheaFiles()): Promise<Resource[]> {
  const urnToRef = new Map<string, string>();
  const byIdentifier = new Map<string, string>();
  const seen = new Set<string>();
  const resources: Resource[] = [];
  const bundles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as Bundle);
  for (const bundle of bundles) {
    for (const entry of bundle.entry ?? []) {
      const r = entry.resource;
      if (!r) continue;
      const id = r.id ?? entry.fullUrl?.replace(/^urn:uuid:/, '');
      if (!id) continue;
      const ref = `${r.resourceType}/${id}`;
      if (entry.fullUrl) urnToRef.set(entry.fullUrl, ref);
      for (const ident of (r as { identifier?: Array<{ system?: string; value?: string }> }).identifier ?? []) {
        if (ident.system && ident.value)
          byIdentifier.set(`${r.resourceType}?identifier=${ident.system}|${ident.value}`, ref);
      }
      if (seen.has(ref)) continue;
      seen.add(ref);
      resources.push({ ...r, id });
    }
  }
  const resolve = (ref: string): string => urnToRef.get(ref) ?? byIdentifier.get(ref) ?? ref;
  const stamped = resources.map((r, i) => {
    const body = rewriteReferences(r, resolve) as Resource;
    const lastUpdated = new Date(LOAD_BASE_TIME + i * 1000).toISOString();
    return { ...body, meta: { ...(body.meta ?? {}), versionId: '1', lastUpdated } };
  });
  await writeAll(store, stamped);
  return stamped;
}

/** Writes resources as version 1 (or next versions of what the caller tracks), in chunks. */
export async function writeAll(store: ResourceStore, resources: Resource[], chunk = 200): Promise<void> {
  for (let i = 0; i < resources.length; i += chunk) {
    const writes: VersionWrite[] = resources.slice(i, i + chunk).map((r) => ({
      resourceType: r.resourceType,
      id: r.id!,
      versionId: Number(r.meta?.versionId ?? '1'),
      lastUpdated: r.meta!.lastUpdated!,
      resource: r,
      index: extractIndex(r),
    }));
    await store.write(writes);
  }
}

function rewriteReferences(value: unknown, resolve: (ref: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, resolve));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === 'reference' && typeof v === 'string' ? resolve(v) : rewriteReferences(v, resolve);
    }
    return out;
  }
  return value;
}
