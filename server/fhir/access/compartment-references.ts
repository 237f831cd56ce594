/**
 * US Core / ONC (g)(10): a patient-context app may read the Practitioner, Organization, Location, Medication …
 * that its patient's resources refer to. "Refer to" is decided by the reference index the stores already keep:
 * some resource in the caller's Patient compartment has a reference search parameter pointing at the resource.
 * This module builds that condition as data (an OR of `_has` over every such parameter), so each store answers
 * it with the same query machinery as `_has` searches.
 */
import { loadDefinitions } from '../definitions.js';
import { compartmentParams } from '../indexing/compartment-definitions.js';
import { listSearchParameters } from '../indexing/search-parameter-registry.js';
import type { Condition } from '../search/search-query.js';

export type ReferencingParam = { sourceType: string; param: string };

/**
 * Not part of the patient's record: the audit trail. The server writes an AuditEvent about every access, naming what
 * was asked for — counting it would make anything a patient merely TRIED to read readable afterwards.
 */
const NOT_RECORD_SOURCES: ReadonlySet<string> = new Set(['AuditEvent']);

const cache = new Map<string, ReferencingParam[]>();

/**
 * The (type, reference parameter) pairs through which a resource of a Patient compartment can refer to `targetType`.
 */
export function referencingParams(targetType: string): ReferencingParam[] {
  let pairs = cache.get(targetType);
  if (!pairs) {
    pairs = [];
    for (const sourceType of loadDefinitions().resourceTypes) {
      if (NOT_RECORD_SOURCES.has(sourceType)) continue;
      if (sourceType !== 'Patient' && compartmentParams('Patient', sourceType).length === 0) continue;
      for (const p of listSearchParameters(sourceType)) {
        if (p.kind !== 'reference') continue;
        if (p.targets.length > 0 && !p.targets.includes(targetType)) continue;
        pairs.push({ sourceType, param: p.code });
      }
    }
    cache.set(targetType, pairs);
  }
  return pairs;
}

/**
 * Resources of `targetType` (among `ids`) that some resource of the compartment `compartmentRef` (`Patient/123`)
 * refers to. The inner reference condition repeats the target ids so stores that resolve `_has` by first finding
 * the source resources (the Mongo store) look only at references to these ids.
 */
export function referencedFromCompartment(targetType: string, compartmentRef: string, ids?: string[]): Condition {
  const targets = ids?.map((id) => ({ match: 'literal' as const, targetType, targetId: id }));
  return {
    kind: 'or',
    any: referencingParams(targetType).map(({ sourceType, param }) => ({
      kind: 'has' as const,
      sourceType,
      sourceParam: param,
      where: [
        { kind: 'compartment' as const, ref: compartmentRef },
        ...(targets ? [{ kind: 'reference' as const, param, values: targets }] : []),
      ],
    })),
  };
}
