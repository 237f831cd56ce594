/**
 * Reads a FHIRPath Patch Parameters resource into typed operations, rejecting malformed ones with a FhirError
 * 400 that names the offending parameter.
 */
import type { Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { badRequest } from '../errors.js';

export const PATCH_OPERATION_TYPES = ['add', 'insert', 'delete', 'replace', 'move'] as const;
export type PatchOperationType = (typeof PATCH_OPERATION_TYPES)[number];

/** A value to write: the JSON value plus, for primitives, the `_value` extension sibling if one was given. */
export type PatchValue = { part: ParametersParameter; where: string };

export type PatchOperation =
  | { type: 'add'; path: string; name: string; value: PatchValue; where: string }
  | { type: 'insert'; path: string; index: number; value: PatchValue; where: string }
  | { type: 'delete'; path: string; where: string }
  | { type: 'replace'; path: string; value: PatchValue; where: string }
  | { type: 'move'; path: string; source: number; destination: number; where: string };

export function readPatchOperations(patch: unknown): PatchOperation[] {
  if (typeof patch !== 'object' || patch === null || (patch as Parameters).resourceType !== 'Parameters') {
    throw badRequest('A FHIRPath Patch must be a Parameters resource');
  }
  const parameters = (patch as Parameters).parameter ?? [];
  if (!Array.isArray(parameters)) throw badRequest('Parameters.parameter must be an array', ['Parameters.parameter']);
  return parameters.map((p, i) => readOperation(p, `Parameters.parameter[${i}]`));
}

function readOperation(parameter: ParametersParameter, where: string): PatchOperation {
  if (parameter?.name !== 'operation') {
    throw badRequest(
      `Each parameter of a FHIRPath Patch must be named "operation", found ${JSON.stringify(parameter?.name)}`,
      [where],
    );
  }
  const parts = Array.isArray(parameter.part) ? parameter.part : [];
  const find = (name: string) => {
    const matches = parts.filter((p) => p?.name === name);
    if (matches.length > 1) throw badRequest(`Operation has more than one "${name}" part`, [where]);
    return matches[0];
  };
  const type = find('type')?.valueCode ?? (find('type') as { valueString?: string } | undefined)?.valueString;
  if (!PATCH_OPERATION_TYPES.includes(type as PatchOperationType)) {
    throw badRequest(
      `Unknown or missing patch operation type ${JSON.stringify(type)} (expected one of ${PATCH_OPERATION_TYPES.join(', ')})`,
      [where],
    );
  }
  const path = find('path')?.valueString;
  if (typeof path !== 'string' || path.trim() === '')
    throw badRequest('Patch operation has no "path" (a FHIRPath expression)', [where]);
  const integer = (name: string): number => {
    const v = find(name)?.valueInteger;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw badRequest(`Patch operation "${type}" needs a non-negative integer "${name}"`, [where]);
    }
    return v;
  };
  const value = (): PatchValue => {
    const part = find('value');
    if (!part) throw badRequest(`Patch operation "${type}" needs a "value"`, [where]);
    return { part, where };
  };
  const op = type as PatchOperationType;
  switch (op) {
    case 'add': {
      const name = find('name')?.valueString;
      if (typeof name !== 'string' || !/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
        throw badRequest('Patch operation "add" needs a "name" (the element to add)', [where]);
      }
      return { type: op, path, name, value: value(), where };
    }
    case 'insert':
      return { type: op, path, index: integer('index'), value: value(), where };
    case 'delete':
      return { type: op, path, where };
    case 'replace':
      return { type: op, path, value: value(), where };
    case 'move':
      return { type: op, path, source: integer('source'), destination: integer('destination'), where };
    default: {
      const never: never = op;
      throw badRequest(`Unknown patch operation ${String(never)}`, [where]);
    }
  }
}
