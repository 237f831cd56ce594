/**
 * Patient merges (Patient.link type replaced-by): rows keyed by a merged-away patient belong to the patient that
 * replaced it. The dispatcher resolves, per batch, the current survivor of every Patient a resource refers to
 * (chains A → B → C followed); the mappings store the survivor's id, and a Patient version that is merged moves the
 * rows already stored under its id (every row of the projection's patient tables, the service's own included: the
 * merged-away id no longer names a patient). An unmerge (the link removed) is not undone row by row: run
 * `projections:rebuild` (projected rows go back; rows the service moved or wrote stay where they are).
 */
import type { Patient, Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../server/store/resource-store.js';
import { idColumn, MappingError, parseReference, type RowWrite } from './rows.js';

const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** Ids of every Patient a resource refers to (any `reference` element), and its own id when it is a Patient. */
export function patientIdsIn(resource: Resource): string[] {
  const ids = new Set<string>();
  if (resource.resourceType === 'Patient' && resource.id) ids.add(resource.id);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        if (k === 'reference' && typeof x === 'string') {
          const m = PATIENT_REFERENCE.exec(x);
          if (m) ids.add(m[1]!);
        } else if (typeof x === 'object') walk(x);
      }
  };
  walk(resource);
  return [...ids];
}

/** The Patient id a merged Patient version names as its replacement, if any. */
export function replacedBy(patient: Patient): string | undefined {
  const link = patient.link?.find((l) => l.type === 'replaced-by');
  const target = parseReference(link?.other?.reference);
  return target?.type === 'Patient' && target.id !== patient.id ? target.id : undefined;
}

/** Current survivors of the given Patient ids (only merged ones are in the map), following chains up to 10 hops. */
export async function resolveSurvivors(store: ResourceStore, ids: Iterable<string>): Promise<Map<string, string>> {
  const next = new Map<string, string>();
  let todo = [...new Set(ids)];
  const seen = new Set<string>();
  for (let hop = 0; hop < 10 && todo.length > 0; hop++) {
    todo.forEach((id) => seen.add(id));
    const current = await store.readMany(todo.map((id) => ({ resourceType: 'Patient', id })));
    todo = [];
    for (const v of current) {
      const target = v.resource ? replacedBy(v.resource as Patient) : undefined;
      if (!target) continue;
      next.set(v.id, target);
      if (!seen.has(target)) todo.push(target);
    }
  }
  const survivors = new Map<string, string>();
  for (const id of next.keys()) {
    let end = id;
    for (let i = 0; i < 10 && next.has(end); i++) end = next.get(end)!;
    if (end !== id) survivors.set(id, end);
  }
  return survivors;
}

/** The patient_id of a resource that must name a Patient (the survivor's id when it was merged); else MappingError. */
export function requiredPatientColumn(
  ref: { reference?: string } | undefined,
  what: string,
  survivors: ReadonlyMap<string, string>,
): string {
  const parsed = parseReference(ref?.reference);
  if (parsed?.type !== 'Patient') throw new MappingError(`${what} has no patient (a Patient reference is required)`);
  return patientColumnId(parsed.id, survivors);
}

/** The value of a patient id column for Patient `id`: the survivor's when it was merged. */
export function patientColumnId(id: string, survivors: ReadonlyMap<string, string>): string {
  return idColumn('Patient', survivors.get(id) ?? id);
}

/**
 * A merged Patient (currently replaced, per `survivors`) moves the rows of `tables` (table → patient column) from
 * its id to the survivor's. A replayed old merge version of a Patient that is no longer merged moves nothing.
 */
export function mergeWrites(
  patient: Patient,
  survivors: ReadonlyMap<string, string>,
  tables: Record<string, string>,
): RowWrite[] {
  const survivor = patient.id ? survivors.get(patient.id) : undefined;
  if (!patient.id || !survivor || !replacedBy(patient)) return [];
  const from = idColumn('Patient', patient.id);
  const to = idColumn('Patient', survivor);
  return Object.entries(tables).map(([table, column]) => ({
    op: 'update',
    table,
    where: { [column]: from },
    values: { [column]: to },
  }));
}
