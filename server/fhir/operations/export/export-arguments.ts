/**
 * The kick-off arguments of $export, read from the query or a Parameters body and checked before a job is
 * created: every mistake (unknown type, bad `_since`, bad `_typeFilter`, a type outside the Patient compartment
 * at Patient or Group level, a type the token may not search) is a 4xx at kick-off, never a job that fails later.
 */
import type { Parameters } from '@medplum/fhirtypes';
import type { FhirContext } from '../../fhir-context.js';
import type { FhirRequest } from '../../fhir-request.js';
import { badRequest, forbidden } from '../../errors.js';
import { dateRange } from '../../indexing/normalize.js';
import { compartmentParams } from '../../indexing/compartment-definitions.js';
import type { OperationTarget } from '../operation-registry.js';
import type { ExportLevel } from './export-jobs.js';
import { parseTypeFilters, type TypeFilter } from './type-filters.js';

const NDJSON_FORMATS = new Set(['application/fhir+ndjson', 'application/ndjson', 'ndjson']);

export type ExportArguments = {
  level: ExportLevel;
  types: string[];
  since?: string;
  typeFilters: TypeFilter[];
};

export function levelOf(target: OperationTarget): ExportLevel {
  if (target.level === 'type' && target.resourceType !== 'Patient')
    throw badRequest('Type-level $export is defined for Patient only');
  if (target.level === 'instance' && target.resourceType !== 'Group')
    throw badRequest('Instance-level $export is defined for Group only');
  return target.level === 'system' ? 'system' : target.level === 'type' ? 'patient' : 'group';
}

/** Types whose resources can belong to a patient's compartment (the Patient-level and Group-level default). */
export function patientCompartmentTypes(ctx: FhirContext): string[] {
  return [...ctx.resourceTypes].filter((t) => compartmentParams('Patient', t).length > 0).sort();
}

export function readExportArguments(ctx: FhirContext, request: FhirRequest, level: ExportLevel): ExportArguments {
  const args = readArguments(request);
  const format = args.get('_outputFormat');
  if (format && !NDJSON_FORMATS.has(format))
    throw badRequest(`_outputFormat ${format.slice(0, 40)} is not supported; use application/fhir+ndjson`);
  const since = args.get('_since') ?? undefined;
  if (since !== undefined && !dateRange(since))
    throw badRequest(`_since "${since.slice(0, 40)}" is not a FHIR instant`);
  const requested = args
    .getAll('_type')
    .join(',')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  for (const t of requested)
    if (!ctx.resourceTypes.has(t)) throw badRequest(`_type names an unknown resource type "${t.slice(0, 60)}"`);
  // Binary is no compartment type, but a patient's documents are: Binaries whose securityContext is a patient in scope
  // (export-scope.ts) come with a Patient/Group-level export, without their bytes (DocumentReference urls point at them)
  const compartmentTypes = new Set(level === 'system' ? [] : [...patientCompartmentTypes(ctx), 'Binary']);
  if (level !== 'system') {
    for (const t of requested)
      if (!compartmentTypes.has(t))
        throw badRequest(`${t} is outside the Patient compartment: export it with a system-level $export`);
  }
  const types =
    requested.length > 0
      ? [...new Set(requested)]
      : (level === 'system' ? [...ctx.resourceTypes] : [...compartmentTypes]).filter((t) =>
          ctx.access.allows('search', t),
        );
  for (const t of types)
    if (!ctx.access.allows('search', t)) throw forbidden(`The access token does not permit exporting ${t}`);
  const typeFilters = parseTypeFilters(ctx, args.getAll('_typeFilter'), types);
  return { level, types, since, typeFilters };
}

/** Query parameters, or a Parameters body on POST (valueString / valueInstant / valueCode …). */
function readArguments(request: FhirRequest): URLSearchParams {
  const args = new URLSearchParams(request.params);
  const body = request.body as Parameters | undefined;
  if (body?.resourceType === 'Parameters') {
    for (const p of body.parameter ?? []) {
      const value = p.valueString ?? p.valueInstant ?? p.valueCode ?? p.valueDateTime;
      if (p.name && value !== undefined) args.append(p.name, value);
    }
  }
  return args;
}
