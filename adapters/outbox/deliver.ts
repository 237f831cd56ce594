/**
 * Preparing changes for one projection: read each version from the FHIR store (one readMany for versions that are
 * still current, vread for older ones), gather what the mappings need besides the resource (merges, referenced
 * resources as they were, code maps, the readings' retention), and map (pure). No target writes here: the
 * dispatcher, the retries and the rebuild apply the prepared rows inside their own transactions.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { ChangeRecord, ResourceStore, StoredVersion } from '../../server/store/resource-store.js';
import { patientIdsIn, resolveSurvivors } from './patient-merge.js';
import type { MapInputs, Projection } from './projection.js';
import { referenceIdRows } from './reference-ids.js';
import { MappingError, parseReference, type RowWrite } from './rows.js';
import { isTransient, type SqlTx } from './sql-client.js';
import { loadCodeTranslator, noTranslation } from './terminology.js';

export type ChangeRef = Pick<ChangeRecord, 'resourceType' | 'id' | 'versionId' | 'deleted' | 'seq'>;

export type Prepared = { change: ChangeRef; writes: RowWrite[] } | { change: ChangeRef; error: unknown };

export type PrepareOptions = {
  /** The version whose rows are in the target (its mapping is `previous`); default versionId − 1. */
  previousVersion?: (change: ChangeRef) => number | undefined;
  /** A rebuild maps without previous versions (the rows of older versions were never written in it). */
  rebuilding?: boolean;
  /** Device readings older than this are past the retention window (default one year, the migrations' default). */
  readingsRetentionMs?: number;
};

export const ONE_YEAR_MS = 365 * 86_400_000;
export const refKey = (c: { resourceType: string; id: string }) => `${c.resourceType}/${c.id}`;

async function versionOf(
  store: ResourceStore,
  type: string,
  id: string,
  version: number,
  current: Map<string, StoredVersion>,
): Promise<StoredVersion | undefined> {
  const cur = current.get(`${type}/${id}`);
  return cur?.versionId === version ? cur : store.vread(type, id, version);
}

/** The resources named by `refs`, as they were at `at` (their newest version with lastUpdated ≤ at, if not deleted). */
async function readAsOf(store: ResourceStore, refs: string[], at: string): Promise<Map<string, Resource>> {
  const out = new Map<string, Resource>();
  for (const r of new Set(refs)) {
    const ref = parseReference(r);
    if (!ref) continue;
    const page = await store.history({ resourceType: ref.type, id: ref.id, before: at, count: 1 });
    const v = page.versions[0];
    if (v?.resource && !v.deleted) out.set(`${ref.type}/${ref.id}`, v.resource);
  }
  return out;
}

/** Reads and maps the accepted changes, in order; a change that cannot be mapped carries its error. */
export async function prepareChanges(
  store: ResourceStore,
  projection: Projection,
  changes: ChangeRef[],
  o: PrepareOptions = {},
): Promise<Prepared[]> {
  const accepted = changes.filter((c) => projection.accepts(c.resourceType));
  if (accepted.length === 0) return [];
  const current = new Map(
    (
      await store.readMany(accepted.filter((c) => !c.deleted).map((c) => ({ resourceType: c.resourceType, id: c.id })))
    ).map((v) => [refKey(v), v]),
  );
  const loaded = await Promise.all(
    accepted.map(async (change) => {
      try {
        const stored = await versionOf(store, change.resourceType, change.id, change.versionId, current);
        if (!stored) throw new MappingError(`${refKey(change)} version ${change.versionId} is not in the FHIR store`);
        const prevVersion = o.previousVersion?.(change) ?? change.versionId - 1;
        const wantsPrevious = stored.deleted || !stored.resource || (projection.readsPrevious && !o.rebuilding);
        const previous =
          wantsPrevious && prevVersion > 0
            ? ((await versionOf(store, change.resourceType, change.id, prevVersion, current))?.resource ?? undefined)
            : undefined;
        return { change, stored, previous };
      } catch (error) {
        if (isTransient(error)) throw error;
        return { change, error };
      }
    }),
  );
  const resources = loaded
    .flatMap((l) => ('stored' in l ? [l.stored?.resource, l.previous] : []))
    .filter((r): r is Resource => !!r);
  const survivors = await resolveSurvivors(store, resources.flatMap(patientIdsIn));
  const translate = accepted.some((c) => projection.translatesCodes?.(c.resourceType))
    ? await loadCodeTranslator(store)
    : noTranslation;
  const readingsNotBefore = new Date(Date.now() - (o.readingsRetentionMs ?? ONE_YEAR_MS)).toISOString();
  const out: Prepared[] = [];
  for (const l of loaded) {
    if ('error' in l) {
      out.push({ change: l.change, error: l.error });
      continue;
    }
    const { change, stored, previous } = l;
    try {
      const resource = stored.resource;
      const asOf =
        resource && projection.asOfReferences
          ? await readAsOf(store, projection.asOfReferences(resource), stored.lastUpdated)
          : new Map<string, Resource>();
      const inputs: MapInputs = {
        lastUpdated: stored.lastUpdated,
        ...(previous ? { previous } : {}),
        survivors,
        asOf,
        translate,
        readingsNotBefore,
      };
      const writes =
        stored.deleted || !resource
          ? projection.mapDelete(change.resourceType, change.id, change.versionId, inputs)
          : projection.map(resource, change.versionId, inputs);
      const survivorIds = (resource ? patientIdsIn(resource) : [])
        .map((id) => survivors.get(id))
        .filter((id): id is string => !!id)
        .map((id) => ({ type: 'Patient', id }));
      out.push({
        change,
        writes: writes.length && resource ? [...writes, ...referenceIdRows(resource, survivorIds)] : writes,
      });
    } catch (error) {
      if (isTransient(error)) throw error;
      out.push({ change, error });
    }
  }
  return out;
}

/**
 * Runs `fn` inside a savepoint: a failure undoes only its own writes and is rethrown (the savepoint is not released:
 * one round trip less; the commit ends it).
 */
export async function inSavepoint<T>(tx: SqlTx, name: string, fn: () => Promise<T>): Promise<T> {
  await tx.query(`SAVEPOINT ${name}`);
  try {
    return await fn();
  } catch (e) {
    await tx.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
    throw e;
  }
}

export function errorText(e: unknown): string {
  const err = e as { name?: string; message?: string; code?: string; sqlMessage?: string };
  return `${err?.name ?? 'Error'}${err?.code ? ` [${err.code}]` : ''}: ${err?.sqlMessage ?? err?.message ?? String(e)}`.slice(
    0,
    2000,
  );
}
