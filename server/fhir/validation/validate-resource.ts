/**
 * `$validate` logic and the validation on every write: all errors and warnings of a resource, each with a
 * FHIRPath expression. The caller answers 400/422 when any issue has severity error or fatal.
 *
 * Passes, merged and de-duplicated (issue-merge.ts):
 * 1. @medplum/core against the R4 StructureDefinition (structure, cardinality, formats, invariants);
 * 2. ajv against the R4 JSON schema (required-binding enumerations, empty strings, ids, patterns);
 * 3. required bindings against the offline R4 value sets (codes, Codings, CodeableConcepts); with `extensible`
 *    ($validate), extensible bindings too, as warnings;
 * 4. rules no library enforces: empty arrays, Period order, Attachment size, active content in narrative,
 *    contained resources, Bundle fullUrls / search results / links, context and value type of known extensions,
 *    QuestionnaireResponse linkIds against a known Questionnaire, HL7 v2 code-table ConceptMaps (code-table-scope.ts);
 * 5. every profile named in meta.profile that is loaded (or global in a registered ImplementationGuide), plus
 *    the profiles asked for by the caller: structure, bindings (required, extensible and additional ones),
 *    min/max values, narrowed choice types.
 */
import type { ConceptMap, OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { isResourceType } from '../definitions.js';
import { checkBundle } from './bundle-rules.js';
import { checkChoiceTypes } from './choice-types.js';
import { checkContained } from './contained-rules.js';
import { checkExtensibleBindings } from './extensible-bindings.js';
import { checkExtensions } from './extension-rules.js';
import { checkJsonRules } from './json-rules.js';
import { resolveExpression, valueAtExpression } from './expression-path.js';
import { hasFhirContent } from './fhir-string.js';
import { withoutRefutedInvariants } from './invariant-recheck.js';
import { IssueList } from './issue-merge.js';
import { validateJsonSchema, warmUpJsonSchema } from './json-schema-validator.js';
import { ensureDefinitions, findProfile, findQuestionnaire, globalProfilesFor } from './profile-registry.js';
import { checkProfileBindings } from './profile-bindings.js';
import { checkQuestionnaireResponse } from './questionnaire-rules.js';
import { checkRequiredBindings, type DeferredBinding } from './required-bindings.js';
import { checkStructure } from './structure-check.js';
import { checkValueLimits } from './value-limits.js';
import { codeTableMapProblems } from '../terminology/code-table-scope.js';

export type ValidateResourceOptions = {
  /** Profile canonicals to validate against in addition to meta.profile (`$validate?profile=`). */
  profiles?: string[];
  /** Also warn about codes outside the base definitions' extensible bindings (`$validate`; writes skip it). */
  extensible?: boolean;
  /**
   * Collects the bound values whose value set is not known offline, for the check against client-made ValueSets
   * (stored-bindings.ts); without it they are not checked, as before.
   */
  deferred?: DeferredBinding[];
  /** Client-made profiles (StructureDefinitions in the store, with snapshots) by canonical URL, after profiles/. */
  storedProfiles?: ReadonlyMap<string, StructureDefinition>;
};

export function validateResource(resource: unknown, options: ValidateResourceOptions = {}): OperationOutcomeIssue[] {
  ensureDefinitions();
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    return [issue('error', 'structure', 'A resource must be a JSON object', '$this')];
  }
  const json = resource as Record<string, unknown>;
  const resourceType = json.resourceType;
  if (typeof resourceType !== 'string' || resourceType === '') {
    return [issue('error', 'required', 'Missing resourceType', 'resourceType')];
  }
  if (!isResourceType(resourceType)) {
    return [issue('error', 'not-supported', `Unknown resource type "${resourceType}"`, 'resourceType')];
  }

  const list = new IssueList(json);
  const base = checkStructure(json as unknown as Resource);
  list.addResolved(withoutRefutedInvariants(json, withFhirStrings(json, resolvedIn(json, base.issues))));
  list.addExact(validateJsonSchema(json));
  list.addResolved(checkRequiredBindings(base.tokens, options.deferred));
  if (options.extensible) list.addExact(checkExtensibleBindings(json));
  list.addExact(checkJsonRules(json));
  list.addExact(checkExtensions(json));
  if (resourceType === 'ConceptMap') list.addExact(codeTableMapProblems(json as unknown as ConceptMap));
  for (const [nested, path] of withNestedResources(json, resourceType)) {
    list.addExact(checkContained(nested, path));
    list.addExact(checkBundle(nested, path));
    list.addExact(checkQuestionnaireResponse(nested, findQuestionnaire, path));
  }
  validateProfiles(json as unknown as Resource, options, list);
  return list.issues;
}

/**
 * Loads the definitions and terminology and validates a Patient now (≈2–3 s CPU), so that the first writes after
 * start-up are not slow (server/main.ts calls it before listening); compiles the JSON-schema validators of
 * `resourceTypes` (default: all 146, ≈1.1 s more) — the others are compiled on first use. Optional: everything is also
 * done lazily on first use.
 */
export function warmUpValidation(resourceTypes?: string[]): void {
  ensureDefinitions();
  warmUpJsonSchema(resourceTypes);
  validateResource(WARM_UP_RESOURCE);
}

/** Goes through every lazily prepared path: a required binding (value sets), a core extension, invariants. */
const WARM_UP_RESOURCE = {
  resourceType: 'Patient',
  id: 'warm-up',
  gender: 'female',
  extension: [
    { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Khartoum' } },
  ],
  contact: [{ name: { family: 'Osman' } }],
} as const;

/** True when any issue is an error or fatal (the resource must be rejected). */
export function hasErrors(issues: readonly OperationOutcomeIssue[]): boolean {
  return issues.some((i) => i.severity === 'error' || i.severity === 'fatal');
}

function validateProfiles(resource: Resource, options: ValidateResourceOptions, list: IssueList): void {
  const requested = options.profiles ?? [];
  const declared = [
    ...(resource.meta?.profile ?? []).filter((p): p is string => typeof p === 'string'),
    ...globalProfilesFor(resource.resourceType),
  ];
  const explicit = new Set(requested);
  for (const url of new Set([...declared, ...requested])) {
    if (url.split('|')[0] === `http://hl7.org/fhir/StructureDefinition/${resource.resourceType}`) continue; // the base, already checked
    const profile = findProfile(url) ?? options.storedProfiles?.get(url.split('|')[0]!);
    if (!profile) {
      // A declared profile that is not loaded is only a warning: the resource is still checked against the
      // base definition (HAPI FHIR behaves alike). A profile the caller asks for explicitly must exist.
      list.addExact([
        explicit.has(url)
          ? // eslint-disable-next-line @typescript-eslint/no-unnecessary-template-expression -- input: may not be a string
            issue('error', 'not-found', `Profile ${url} is not known to this server`, `${resource.resourceType}`)
          : issue(
              'warning',
              'not-found',
              `Profile ${url} is not loaded; validated against the base definition only`,
              `${resource.resourceType}.meta.profile`,
            ),
      ]);
      continue;
    }
    if (profile.type !== resource.resourceType) {
      list.addExact([
        issue(
          'error',
          'invalid',
          `Profile ${url} constrains ${profile.type}, not ${resource.resourceType}`,
          resource.resourceType,
        ),
      ]);
      continue;
    }
    if (!profile.snapshot?.element?.length) {
      list.addExact([
        issue(
          'warning',
          'not-supported',
          `Profile ${url} has no snapshot; it cannot be checked`,
          resource.resourceType,
        ),
      ]);
      continue;
    }
    const result = checkStructure(resource, profile);
    const tagged = (issues: OperationOutcomeIssue[]) =>
      issues.map((i) => ({
        ...i,
        details: { ...i.details, text: `${i.details?.text ?? i.diagnostics ?? ''} (profile ${url})` },
      }));
    list.addResolved(tagged(withoutRefutedInvariants(resource, resolvedIn(resource, result.issues))));
    list.addResolved(tagged(checkRequiredBindings(result.tokens, options.deferred, url)));
    list.addResolved(checkProfileBindings(resource, profile, options.deferred));
    list.addExact(checkValueLimits(resource, profile));
    list.addExact(checkChoiceTypes(resource, profile));
  }
}

/** The resource and the resources nested in it as Bundle entries or Parameters values, with their paths. */
function* withNestedResources(
  resource: Record<string, unknown>,
  path: string,
): Generator<[Record<string, unknown>, string]> {
  yield [resource, path];
  const visit = function* (
    items: unknown,
    prefix: string,
    key: 'resource',
  ): Generator<[Record<string, unknown>, string]> {
    if (!Array.isArray(items)) return;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Record<string, unknown> | null;
      const nested = item?.[key];
      if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
        yield* withNestedResources(nested as Record<string, unknown>, `${prefix}[${i}].${key}`);
      }
      if (item && Array.isArray(item.part)) yield* visit(item.part, `${prefix}[${i}].part`, key);
    }
  };
  if (resource.resourceType === 'Bundle') yield* visit(resource.entry, `${path}.entry`, 'resource');
  if (resource.resourceType === 'Parameters') yield* visit(resource.parameter, `${path}.parameter`, 'resource');
}

/**
 * @medplum/core calls a string "whitespace only" by JavaScript's trim (U+00A0, U+3000, U+FEFF … count as white
 * space); FHIR's white space is XML's (fhir-string.ts): a string holding any other character has content.
 */
function withFhirStrings(root: unknown, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.filter((i) => {
    if (i.details?.text !== 'String must contain non-whitespace content') return true;
    const value = i.expression?.[0] !== undefined ? valueAtExpression(root, i.expression[0]) : undefined;
    return !(typeof value === 'string' && hasFhirContent(value));
  });
}

function resolvedIn(root: unknown, issues: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  return issues.map((i) =>
    i.expression?.length ? { ...i, expression: i.expression.map((e) => resolveExpression(root, e)) } : i,
  );
}

function issue(
  severity: OperationOutcomeIssue['severity'],
  code: OperationOutcomeIssue['code'],
  text: string,
  expression: string,
): OperationOutcomeIssue {
  return { severity, code, details: { text }, expression: [expression] };
}
