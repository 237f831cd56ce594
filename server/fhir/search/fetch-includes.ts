/**
 * `_include` / `_revinclude` (with `:iterate` and `*`): the resources to add to a search page, fetched
 * with store.readMany / store.search. Every included resource passes the read decision
 * (access/read-access.ts) exactly as a direct read would: allowed types, SMART constraints, the caller's
 * compartment — and, for a patient-context token, the shared resources its record refers to (Practitioner,
 * Organization, Location, Medication …), never another patient's.
 */
import type { AccessPolicy } from '../access-policy.js';
import type { ResourceKey, ResourceStore, StoredVersion } from '../../store/resource-store.js';
import { getSearchParameterInfo } from '../indexing/search-parameter-registry.js';
import type { Condition } from './search-query.js';
import type { IncludeSpec } from './parse-result-params.js';
import { MAX_INCLUDE_ITERATIONS, MAX_INCLUDES, MAX_COUNT } from './search-constants.js';
import { compartmentCondition, constraintConditions, type ConditionContext } from './parse-condition.js';
import { referenceParams, referenceTargets } from './reference-targets.js';
import { readableVersions, type ReadAccessContext } from '../access/read-access.js';
import { ownPatientCompartments } from '../access/patient-compartments.js';
import { compartmentsOf } from '../indexing/compartments.js';

export type IncludeArgs = {
  store: ResourceStore;
  matches: StoredVersion[];
  includes: IncludeSpec[];
  revincludes: IncludeSpec[];
  access: AccessPolicy;
  ctx: ConditionContext;
  /** What is left of the search's time budget (throws QueryTimeoutError past it); absent: no budget. */
  remainingMs?: () => number | undefined;
};

export type IncludeResult = { included: StoredVersion[]; warnings: string[] };

const keyOf = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;

export async function fetchIncludes(args: IncludeArgs): Promise<IncludeResult> {
  const seen = new Set(args.matches.map(keyOf));
  const included: StoredVersion[] = [];
  const warnings = new Set<string>();
  let sources = args.matches;
  for (let round = 0; round <= MAX_INCLUDE_ITERATIONS && sources.length > 0; round++) {
    const includes = args.includes.filter((s) => round === 0 || s.iterate);
    const revincludes = args.revincludes.filter((s) => round === 0 || s.iterate);
    if (includes.length === 0 && revincludes.length === 0) break;
    const found: StoredVersion[] = [];
    const add = (versions: StoredVersion[]) => {
      for (const v of versions) {
        if (seen.has(keyOf(v))) continue;
        if (seen.size - args.matches.length >= MAX_INCLUDES) {
          warnings.add(`Only the first ${MAX_INCLUDES} included resources are returned`);
          return;
        }
        seen.add(keyOf(v));
        found.push(v);
      }
    };
    for (const spec of includes) {
      args.remainingMs?.();
      add(await forward(spec, sources, args, warnings));
    }
    for (const spec of revincludes) {
      args.remainingMs?.();
      add(await reverse(spec, sources, args, warnings));
    }
    included.push(...found);
    sources = found;
  }
  return { included, warnings: [...warnings] };
}

async function forward(
  spec: IncludeSpec,
  sources: StoredVersion[],
  args: IncludeArgs,
  warnings: Set<string>,
): Promise<StoredVersion[]> {
  const wanted = new Map<string, ResourceKey>();
  const fromCompartment = new Set<string>(); // referred to by a resource of the caller's compartment
  const readCtx = readAccessContext(args);
  for (const source of sources) {
    if (!source.resource || (spec.sourceType !== '*' && source.resourceType !== spec.sourceType)) continue;
    const inCompartment =
      !!args.access.compartment && ownPatientCompartments(readCtx, source.resource).includes(args.access.compartment);
    const params = spec.param === '*' ? referenceParams(source.resourceType) : [spec.param];
    for (const param of params) {
      for (const key of referenceTargets(source.resource, param, args.ctx.baseUrl)) {
        if (spec.targetType && key.resourceType !== spec.targetType) continue;
        wanted.set(keyOf(key), key);
        if (inCompartment) fromCompartment.add(keyOf(key));
      }
    }
  }
  const byType = new Map<string, string[]>();
  for (const key of wanted.values()) byType.set(key.resourceType, [...(byType.get(key.resourceType) ?? []), key.id]);
  const out: StoredVersion[] = [];
  for (const [type, ids] of byType) {
    if (!args.access.allows('read', type)) {
      warnings.add(`Included ${type} resources are left out: reading ${type} is not permitted`);
      continue;
    }
    const found = await args.store.readMany(ids.map((id) => ({ resourceType: type, id })));
    out.push(...(await readableVersions(readCtx, found, { referencedByCompartment: fromCompartment })));
  }
  return out;
}

function readAccessContext(args: IncludeArgs): ReadAccessContext {
  return { access: args.access, store: args.store, baseUrl: args.ctx.baseUrl, compartmentsOf };
}

async function reverse(
  spec: IncludeSpec,
  sources: StoredVersion[],
  args: IncludeArgs,
  warnings: Set<string>,
): Promise<StoredVersion[]> {
  if (spec.sourceType === '*') {
    warnings.add('_revinclude=* is not supported: name the source type and parameter');
    return [];
  }
  if (!args.access.allows('read', spec.sourceType)) {
    warnings.add(
      `Reverse-included ${spec.sourceType} resources are left out: reading ${spec.sourceType} is not permitted`,
    );
    return [];
  }
  const params = spec.param === '*' ? referenceParams(spec.sourceType) : [spec.param];
  const out: StoredVersion[] = [];
  for (const param of params) {
    const targets = getSearchParameterInfo(spec.sourceType, param)?.targets ?? [];
    const values = sources
      .filter((s) => targets.length === 0 || targets.includes(s.resourceType))
      .map((s) => ({ match: 'literal' as const, targetType: s.resourceType, targetId: s.id }));
    if (values.length === 0) continue;
    const conditions: Condition[] = [{ kind: 'reference', param, values }, ...guardConditions(spec.sourceType, args)];
    // The guard narrows the query; the read decision has the last word (Binary security contexts, …).
    out.push(
      ...(await readableVersions(
        readAccessContext(args),
        await searchAll(args, spec.sourceType, conditions, warnings),
      )),
    );
  }
  return out;
}

/** The caller's compartment and constraints for included resources of `type`. */
function guardConditions(type: string, args: IncludeArgs): Condition[] {
  const guard: Condition[] = [];
  if (args.access.compartment) guard.push(compartmentCondition(type, args.access.compartment));
  guard.push(...constraintConditions(type, { ...args.ctx, access: args.access }));
  return guard;
}

async function searchAll(
  args: IncludeArgs,
  type: string,
  conditions: Condition[],
  warnings: Set<string>,
): Promise<StoredVersion[]> {
  const out: StoredVersion[] = [];
  let cursor: string | undefined;
  do {
    const timeoutMs = args.remainingMs?.();
    const page = await args.store.search({
      resourceTypes: [type],
      conditions,
      sort: [],
      count: MAX_COUNT,
      total: 'none',
      cursor,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    out.push(...page.entries);
    cursor = page.nextCursor;
    if (out.length >= MAX_INCLUDES) {
      if (cursor) warnings.add(`Only the first ${MAX_INCLUDES} included resources are returned`);
      break;
    }
  } while (cursor);
  return out;
}
