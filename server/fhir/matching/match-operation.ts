/**
 * POST Patient/$match (R4 OperationDefinition Patient-match): the input is a Parameters with `resource` (a Patient,
 * complete or not), `onlyCertainMatches` (boolean) and `count` (integer); the answer is a searchset Bundle of the
 * candidates graded at least `possible`, best first, each with `search.mode = match`, `search.score` and the
 * `match-grade` extension (certain | probable | possible). With onlyCertainMatches only a certain match is returned,
 * and none when more than one is certain (the spec: a client that wants one match must not get a guess).
 * Access: the caller needs search on Patient, and the candidates are gathered with its access policy, so a
 * patient-context token can only ever be matched against what it may read.
 */
import type { Bundle, BundleEntry, OperationOutcome, Parameters, Patient } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import { requireAccess, type FhirContext } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import type { OperationHandler } from '../operations/operation-registry.js';
import type { MatchProfile } from './match-profile.js';
import { matchPatient } from './match-patients.js';
import { entryField } from '../bundle/entry-field.js';

export const MATCH_GRADE_EXTENSION = 'http://hl7.org/fhir/StructureDefinition/match-grade';

export function matchOperation(profile: MatchProfile): OperationHandler {
  return {
    name: 'match',
    definition: 'http://hl7.org/fhir/OperationDefinition/Patient-match',
    levels: ['type'],
    types: ['Patient'],
    methods: ['POST'],
    handle: async (ctx, request, target) => {
      if (target.level !== 'type') throw badRequest('$match works on the Patient type: POST [base]/Patient/$match');
      return patientMatch(ctx, request, profile);
    },
  };
}

async function patientMatch(ctx: FhirContext, request: FhirRequest, profile: MatchProfile): Promise<FhirResponse> {
  requireAccess(ctx, 'search', 'Patient');
  const input = readInput(request.body, profile);
  const matches = await matchPatient(ctx, input.patient, profile, {
    count: input.onlyCertainMatches ? 2 : input.count,
  });
  let kept = matches;
  const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: [] };
  if (input.onlyCertainMatches) {
    const certain = matches.filter((m) => m.grade === 'certain');
    kept = certain.length === 1 ? certain : [];
    if (certain.length > 1)
      outcome.issue.push({
        severity: 'information',
        code: 'multiple-matches',
        diagnostics: `${certain.length} records match with certainty; none is returned because onlyCertainMatches was asked`,
      });
  }
  const entries: BundleEntry[] = kept.map((m) => ({
    fullUrl: `${ctx.baseUrl}/Patient/${m.version.id}`,
    resource: m.version.resource as Patient,
    search: {
      mode: 'match',
      score: m.score,
      extension: [{ url: MATCH_GRADE_EXTENSION, valueCode: m.grade }],
    },
  }));
  if (outcome.issue.length > 0) entries.push({ resource: outcome, search: { mode: 'outcome' } });
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: kept.length,
    link: [{ relation: 'self', url: `${ctx.baseUrl}/Patient/$match` }],
    ...entryField(entries),
  };
  return { status: 200, resource: bundle };
}

type MatchInput = { patient: Patient; onlyCertainMatches: boolean; count: number };

function readInput(body: unknown, profile: MatchProfile): MatchInput {
  const parameters = body as Parameters | undefined;
  if (!parameters || typeof parameters !== 'object' || parameters.resourceType !== 'Parameters')
    throw badRequest('$match takes a Parameters resource with a `resource` parameter holding the Patient to match');
  const list = Array.isArray(parameters.parameter) ? parameters.parameter : [];
  const named = (name: string) => list.filter((p) => p?.name === name);
  const [resourceParam, ...extraResources] = named('resource');
  if (!resourceParam || extraResources.length > 0)
    throw badRequest('$match needs exactly one `resource` parameter', ['Parameters.parameter']);
  const patient = resourceParam.resource as Patient | undefined;
  if (!patient || typeof patient !== 'object' || patient.resourceType !== 'Patient')
    throw badRequest('The `resource` parameter of Patient/$match must hold a Patient', ['Parameters.parameter']);
  const only = named('onlyCertainMatches');
  if (only.length > 1 || (only[0] && typeof only[0].valueBoolean !== 'boolean'))
    throw badRequest('`onlyCertainMatches` is one boolean (valueBoolean)', ['Parameters.parameter']);
  const count = named('count');
  const value = count[0]?.valueInteger ?? count[0]?.valuePositiveInt;
  if (count.length > 1 || (count[0] && (typeof value !== 'number' || !Number.isInteger(value) || value < 1)))
    throw badRequest('`count` is one positive integer (valueInteger)', ['Parameters.parameter']);
  const known = new Set(['resource', 'onlyCertainMatches', 'count']);
  const unknown = list.find((p) => !known.has(p?.name));
  if (unknown) throw badRequest(`Unknown $match parameter '${String(unknown?.name).slice(0, 60)}'`);
  return {
    patient,
    onlyCertainMatches: only[0]?.valueBoolean === true,
    count: Math.min(value ?? profile.defaultCount, profile.maxCount),
  };
}
