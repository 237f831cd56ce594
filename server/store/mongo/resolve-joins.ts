/**
 * Chained parameters and `_has` read other collections. They are resolved before compiling, bottom-up,
 * into plain conditions — the `$in` approach (not `$lookup`), so that every query stays a find() that
 * can use the idx indexes:
 * - `subject:Patient.name=x` → find the Patient ids matching `name=x`, then
 *   { kind: 'reference', param: 'subject', values: [Patient/<id>, …] };
 * - `_has:Observation:subject:code=x` on Patient → find the Observations matching `code=x` that
 *   reference a Patient through `subject`, then { kind: 'id', values: [their target ids] }.
 * Each step is bounded: beyond `maxIds` matches the search fails with a clear UnsupportedQueryError (400).
 */
import type { Condition, ReferenceValue } from '../../fhir/search/search-query.js';
import { UnsupportedQueryError } from '../resource-store.js';
import { collectionNameFor } from './collection-names.js';
import { compileSearchFilter } from './compile-condition.js';
import type { DocDatabase } from './doc-db.js';
import { and } from './filter-parts.js';

export const DEFAULT_MAX_JOIN_IDS = 1000;

export async function resolveJoins(
  db: DocDatabase,
  conditions: Condition[],
  searchedType: string,
  maxIds = DEFAULT_MAX_JOIN_IDS,
): Promise<Condition[]> {
  return Promise.all(conditions.map((c) => resolveOne(db, c, searchedType, maxIds)));
}

async function resolveOne(db: DocDatabase, c: Condition, searchedType: string, maxIds: number): Promise<Condition> {
  switch (c.kind) {
    case 'chain': {
      const values: ReferenceValue[] = [];
      for (const targetType of c.targetTypes) {
        const where = await resolveJoins(db, c.where, targetType, maxIds);
        const docs = await db
          .collection(collectionNameFor(targetType))
          .find(compileSearchFilter(where), { projection: { _id: 1 }, limit: maxIds + 1 });
        if (docs.length > maxIds) {
          throw new UnsupportedQueryError(
            `the chained search on ${c.param} matches more than ${maxIds} ${targetType} resources; add criteria to narrow it`,
          );
        }
        for (const doc of docs) values.push({ match: 'literal', targetType, targetId: String(doc._id) });
      }
      return { kind: 'reference', param: c.param, values };
    }
    case 'has': {
      const where = await resolveJoins(db, c.where, c.sourceType, maxIds);
      const pointsHere = { 'idx.reference': { $elemMatch: { param: c.sourceParam, targetType: searchedType } } };
      const docs = await db
        .collection(collectionNameFor(c.sourceType))
        .find(and([compileSearchFilter(where), pointsHere]), { projection: { 'idx.reference': 1 }, limit: maxIds + 1 });
      if (docs.length > maxIds) {
        throw new UnsupportedQueryError(
          `_has:${c.sourceType}:${c.sourceParam} matches more than ${maxIds} ${c.sourceType} resources; add criteria to narrow it`,
        );
      }
      const ids = new Set<string>();
      for (const doc of docs) {
        const refs =
          (
            doc['idx'] as
              { reference?: Array<{ param: string; targetType: string | null; targetId: string | null }> } | undefined
          )?.reference ?? [];
        for (const r of refs)
          if (r.param === c.sourceParam && r.targetType === searchedType && r.targetId) ids.add(r.targetId);
      }
      return { kind: 'id', values: [...ids] };
    }
    case 'or':
      return { kind: 'or', any: await resolveJoins(db, c.any, searchedType, maxIds) };
    case 'and':
      return { kind: 'and', all: await resolveJoins(db, c.all, searchedType, maxIds) };
    case 'not':
      return { kind: 'not', condition: await resolveOne(db, c.condition, searchedType, maxIds) };
    case 'string':
    case 'token':
    case 'date':
    case 'number':
    case 'quantity':
    case 'reference':
    case 'uri':
    case 'missing':
    case 'id':
    case 'lastUpdated':
    case 'composite':
    case 'compartment':
      return c;
    default:
      return assertNever(c);
  }
}

function assertNever(value: never): never {
  throw new UnsupportedQueryError(`unsupported search condition ${JSON.stringify(value)}`);
}
