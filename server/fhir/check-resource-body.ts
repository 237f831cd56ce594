/**
 * The first gate of every write: the body must be a JSON object that is a resource of the expected type,
 * carry no keys a document store would interpret (`$where`, `a.b`), and have a well-formed id.
 * Anything else is a 400 with an OperationOutcome; nothing reaches validation or the store.
 */
import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from './errors.js';

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

export function assertValidId(id: string): void {
  if (!ID_PATTERN.test(id)) {
    throw badRequest(`Invalid resource id "${id.slice(0, 80)}": ids are 1-64 characters of A-Z, a-z, 0-9, '-' and '.'`);
  }
}

export function checkResourceBody(
  body: unknown,
  knownTypes: ReadonlySet<string>,
  expected: { resourceType?: string; id?: string; requireId?: boolean } = {},
): Resource {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a FHIR resource (a JSON object)');
  }
  const resourceType = (body as { resourceType?: unknown }).resourceType;
  if (typeof resourceType !== 'string') {
    throw badRequest('The resource has no resourceType', ['resourceType']);
  }
  if (!knownTypes.has(resourceType)) {
    throw badRequest(`Unknown resource type "${resourceType.slice(0, 80)}"`, ['resourceType']);
  }
  if (expected.resourceType && resourceType !== expected.resourceType) {
    throw badRequest(`The resource type ${resourceType} does not match the URL (${expected.resourceType})`, [
      'resourceType',
    ]);
  }
  const id = (body as { id?: unknown }).id;
  if (id !== undefined && (typeof id !== 'string' || !ID_PATTERN.test(id))) {
    throw badRequest('The resource id is not a valid FHIR id', [`${resourceType}.id`]);
  }
  if (expected.requireId && id === undefined) {
    throw badRequest('An update must carry the resource id in the body', [`${resourceType}.id`]);
  }
  if (expected.id !== undefined && id !== undefined && id !== expected.id) {
    throw badRequest(`The id in the body (${String(id)}) does not match the id in the URL (${expected.id})`, [
      `${resourceType}.id`,
    ]);
  }
  rejectOperatorKeys(body, resourceType);
  return body as Resource;
}

/** Keys starting with `$` or containing `.` are never FHIR and would be operators or paths to MongoDB. */
function rejectOperatorKeys(value: unknown, path: string, depth = 0): void {
  if (depth > 64) throw badRequest('The resource is nested too deeply');
  if (Array.isArray(value)) {
    value.forEach((item, i) => rejectOperatorKeys(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.') || key.length === 0 || key.includes('\u0000')) {
      throw badRequest(`Invalid property name "${key.slice(0, 80)}": not a FHIR element`, [path]);
    }
    rejectOperatorKeys(child, `${path}.${key}`, depth + 1);
  }
}
