/**
 * The stored shapes. A current document (one per resource, in the type's collection):
 *   { _id: id, resourceType, id, versionId, lastUpdated, lu (epoch ms), deleted,
 *     resource (the resource as written, untouched; null when deleted),
 *     idx: { string: [...], token: [...], date: [...], … } (IndexEntries grouped by kind, `kind` dropped),
 *     compartments: ['Patient/1', …], sort: { <param>: { a, d } },
 *     lastn: [{ subject, code, at }, …] and lastnAt (its `at` when it has a code) — the $lastn keys of a current
 *     Observation (server/store/lastn-keys.ts), [] and null otherwise }
 * A history document (collection resource_history): { _id: 'Type/id/version', resourceType, id,
 * versionId, lastUpdated, lu, deleted, resource }.
 * Both carry `numberTexts` ([[path, text], …]) when the resource has numbers whose JSON text String() would not
 * give back (1.50, 6.0, 1E-22; server/json/number-texts.ts): BSON keeps a double, so the text is kept beside the
 * untouched resource (chosen over Decimal128, which would change the stored resource's types for every
 * reader, cap precision at 34 digits and need a walk on every read).
 * Grouping entries by kind gives arrays whose elements share one shape, so that one multikey index per
 * kind (e.g. idx.token.param + code + system) serves every parameter of that kind.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry, IndexEntryKind } from '../../fhir/indexing/index-entry.js';
import type { StoredVersion, VersionWrite } from '../resource-store.js';
import type { Doc } from './doc-db.js';
import { lastnKeys, type LastnKey } from '../lastn-keys.js';
import { sortFieldsOf } from './sort-values.js';
import { assertStorableKeys } from './storable-keys.js';
import { applyNumberTexts, collectNumberTexts } from '../../json/number-texts.js';

export type IndexDoc = Partial<Record<IndexEntryKind, Array<Record<string, unknown>>>>;

/** Milliseconds of an ISO instant; throws on anything else. */
export function instantMs(lastUpdated: string): number {
  const ms = Date.parse(lastUpdated);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(lastUpdated) || Number.isNaN(ms))
    throw new Error(`lastUpdated is not an ISO instant: ${JSON.stringify(lastUpdated)}`);
  return ms;
}

/** Drops undefined members (the driver would store them as null). */
function defined(entry: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(entry)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [
        k,
        Array.isArray(v) ? (v as unknown[]).map((x) => (x && typeof x === 'object' ? defined(x) : x)) : v,
      ]),
  );
}

export function indexDocOf(entries: IndexEntry[]): IndexDoc {
  const idx: IndexDoc = {};
  for (const entry of entries) {
    const { kind, ...rest } = entry;
    (idx[kind] ??= []).push(defined(rest));
  }
  return idx;
}

/** Checks a VersionWrite before anything is written (shape, storable keys). */
export function checkWrite(w: VersionWrite): void {
  if (!Number.isInteger(w.versionId) || w.versionId < 1)
    throw new Error(`versionId must be a positive integer, got ${w.versionId}`);
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(w.id)) throw new Error(`not a FHIR id: ${JSON.stringify(w.id)}`);
  instantMs(w.lastUpdated);
  if (w.resource) {
    if (w.resource.resourceType !== w.resourceType)
      throw new Error(`resource is a ${w.resource.resourceType}, written as ${w.resourceType}`);
    assertStorableKeys(w.resource, w.resourceType);
  }
}

export function currentDocOf(w: VersionWrite): Doc {
  const live = w.resource !== null;
  return {
    _id: w.id,
    resourceType: w.resourceType,
    id: w.id,
    versionId: w.versionId,
    lastUpdated: w.lastUpdated,
    lu: instantMs(w.lastUpdated),
    deleted: !live,
    resource: w.resource,
    numberTexts: collectNumberTexts(w.resource) ?? null,
    idx: live ? indexDocOf(w.index.entries) : {},
    compartments: live ? [...new Set(w.index.compartments)] : [],
    sort: live ? sortFieldsOf(w.index.entries, w.resourceType) : {},
    ...lastnFieldsOf(w.resourceType, live ? w.index.entries : []),
  };
}

/** The $lastn fields of a current document: its keys, and the date of its rankable key as a scalar to sort on. */
export function lastnFieldsOf(
  resourceType: string,
  entries: IndexEntry[],
): { lastn: LastnKey[]; lastnAt: number | null } {
  const lastn = lastnKeys(resourceType, entries);
  return { lastn, lastnAt: lastn[0]?.code != null ? lastn[0].at : null };
}

export function historyDocOf(w: VersionWrite): Doc {
  return {
    _id: `${w.resourceType}/${w.id}/${w.versionId}`,
    resourceType: w.resourceType,
    id: w.id,
    versionId: w.versionId,
    lastUpdated: w.lastUpdated,
    lu: instantMs(w.lastUpdated),
    deleted: w.resource === null,
    resource: w.resource,
    ...withTexts(w.resource),
  };
}

function withTexts(resource: Resource | null): { numberTexts?: unknown } {
  const texts = collectNumberTexts(resource);
  return texts ? { numberTexts: texts } : {};
}

/** The fields of a current or history document that make a StoredVersion. */
export const VERSION_PROJECTION = {
  resourceType: 1,
  id: 1,
  versionId: 1,
  lastUpdated: 1,
  deleted: 1,
  resource: 1,
  numberTexts: 1,
} as const;

export function storedVersionOf(doc: Doc): StoredVersion {
  return {
    resourceType: doc['resourceType'] as string,
    id: doc['id'] as string,
    versionId: doc['versionId'] as number,
    lastUpdated: doc['lastUpdated'] as string,
    deleted: doc['deleted'] as boolean,
    resource: withNumberTexts((doc['resource'] as Resource | null) ?? null, doc['numberTexts']),
  };
}

function withNumberTexts(resource: Resource | null, texts: unknown): Resource | null {
  if (resource && texts != null) applyNumberTexts(resource, texts);
  return resource;
}
