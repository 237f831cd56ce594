/**
 * Validation with what clients made: the profiles a resource names (meta.profile, `$validate?profile=`) that are not
 * loaded are looked for among the client-made StructureDefinitions in the store, and every bound value whose value
 * set is not known offline is checked against the client-made ValueSet of that URL (and the CodeSystems it uses,
 * client-made or the specification's) through Terminology: `required` → error (a write answers 422), `extensible` →
 * warning. A value set that cannot be evaluated (say it includes a code system this server does not know) gives a
 * warning saying so; a value set unknown here too is not checked, as before.
 * Lookups read the current versions each time (keys only; bodies of known versions from memory), so an edit of a
 * ValueSet, CodeSystem or profile takes effect on the next validation, on every app instance. They are made with
 * full read access: conformance resources are not patient data, and a token that may not read ValueSets must not
 * be able to write codes a required binding refuses.
 */
import type { Coding, OperationOutcomeIssue, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { FULL_ACCESS } from '../access-policy.js';
import type { FhirContext } from '../fhir-context.js';
import { storedResources, terminologyFor } from '../terminology/terminology-context.js';
import type { Terminology } from '../terminology/terminology.js';
import { TerminologyError } from '../terminology/terminology-error.js';
import { findInValueSet } from '../terminology/value-set-membership.js';
import { resolveExpression } from './expression-path.js';
import { findProfile, storedProfile } from './profile-registry.js';
import type { DeferredBinding } from './required-bindings.js';

export type ValidateWithStoreOptions = { profiles?: string[]; extensible?: boolean };

export async function validateWithStore(
  ctx: Pick<FhirContext, 'store' | 'baseUrl' | 'validate' | 'lookups'>,
  resource: Resource,
  options: ValidateWithStoreOptions = {},
): Promise<OperationOutcomeIssue[]> {
  const lookup = { store: ctx.store, baseUrl: ctx.baseUrl, access: FULL_ACCESS, lookups: ctx.lookups };
  const storedProfiles = await clientProfiles(lookup, resource, options.profiles ?? []);
  const deferred: DeferredBinding[] = [];
  const issues = ctx.validate(resource, { ...options, deferred, storedProfiles });
  if (deferred.length === 0) return issues;
  const term = terminologyFor(lookup as FhirContext);
  return [...issues, ...(await checkDeferred(term, resource, deferred))];
}

async function clientProfiles(
  lookup: Pick<FhirContext, 'store' | 'baseUrl' | 'access' | 'lookups'>,
  resource: Resource,
  requested: string[],
): Promise<Map<string, StructureDefinition>> {
  const named = [...(Array.isArray(resource.meta?.profile) ? resource.meta.profile : []), ...requested]
    .filter((p): p is string => typeof p === 'string' && p !== '')
    .map((p) => p.split('|')[0]!);
  const out = new Map<string, StructureDefinition>();
  for (const url of new Set(named)) {
    if (findProfile(url)) continue;
    const found = (await storedResources(lookup, 'StructureDefinition', [['url', url]])).filter(
      (r): r is StructureDefinition => r.resourceType === 'StructureDefinition' && r.url === url,
    );
    const latest = found.reduce<StructureDefinition | undefined>(
      (a, b) => (!a || (b.meta?.lastUpdated ?? '') > (a.meta?.lastUpdated ?? '') ? b : a),
      undefined,
    );
    if (latest) out.set(url, storedProfile(latest));
  }
  return out;
}

async function checkDeferred(
  term: Terminology,
  resource: Resource,
  deferred: DeferredBinding[],
): Promise<OperationOutcomeIssue[]> {
  const issues: OperationOutcomeIssue[] = [];
  const valueSets = new Map<string, Promise<ValueSet | undefined>>();
  for (const d of deferred) {
    const url = d.valueSet.split('|')[0]!;
    if (!valueSets.has(url)) valueSets.set(url, term.valueSet(url));
    const vs = await valueSets.get(url)!;
    if (!vs) continue; // unknown here too: not checked
    const codings = codingsOf(d);
    if (codings.length === 0) continue;
    const where = `${d.strength}${d.additional ? ' additional' : ''} binding to ${url}${d.profile ? `, profile ${d.profile}` : ''}`;
    const expression = [resolveExpression(resource, d.path)];
    try {
      let found = false;
      for (const c of codings) if (await findInValueSet(term, vs, c.system, c.code!)) found = true;
      if (found) continue;
      const shown = codings.map((c) => `${c.system ? `${c.system}|` : ''}${c.code}`).join(', ');
      issues.push({
        severity: d.strength === 'required' ? 'error' : 'warning',
        code: 'code-invalid',
        details: {
          text:
            codings.length === 1
              ? `Code "${shown}" is not in the value set (${where})`
              : `None of the codings (${shown}) is in the value set (${where})`,
        },
        expression,
      });
    } catch (err) {
      if (!(err instanceof TerminologyError)) throw err;
      issues.push({
        severity: 'warning',
        code: err.code === 'not-found' ? 'not-found' : 'processing',
        details: { text: `The code could not be checked against value set ${url} (${where}): ${err.message}` },
        expression,
      });
    }
  }
  return issues;
}

/** The codings of a bound value by its type (a code, Coding, CodeableConcept or Quantity), those with a code. */
function codingsOf(d: DeferredBinding): Coding[] {
  const v = d.value as Record<string, unknown> | string | undefined;
  if (typeof v === 'string') return d.type === 'code' || d.type === 'string' || d.type === 'uri' ? [{ code: v }] : [];
  if (!v || typeof v !== 'object') return [];
  const list = d.type === 'CodeableConcept' ? ((v['coding'] as Coding[] | undefined) ?? []) : [v as Coding];
  return list.filter((c) => typeof c?.code === 'string' && (c.system === undefined || typeof c.system === 'string'));
}
