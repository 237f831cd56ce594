/**
 * Turns a FhirRequest into the interaction it names (the FHIR RESTful API URL grammar) — no express here.
 */
import type { FhirRequest, FhirResponse } from './fhir-request.js';
import type { FhirContext } from './fhir-context.js';
import { fhirError, notFound } from './errors.js';
import { readInteraction, vreadInteraction } from './interactions/read.js';
import { createInteraction } from './interactions/create.js';
import { updateInteraction, conditionalUpdateInteraction } from './interactions/update.js';
import { deleteInteraction, conditionalDeleteInteraction } from './interactions/delete.js';
import { conditionalPatchInteraction, patchInteraction } from './interactions/patch.js';
import { historyInteraction } from './interactions/history.js';
import { typeSearchInteraction, systemSearchInteraction, compartmentSearchInteraction } from './interactions/search.js';
import { capabilitiesInteraction, type CapabilityOptions } from './interactions/capabilities.js';
import type { OperationRegistry, OperationTarget } from './operations/operation-registry.js';
import { binaryReadInteraction } from './binary/binary-read.js';
import { binaryUploadInteraction } from './binary/binary-upload.js';

export type RouterOptions = {
  operations: OperationRegistry;
  capabilities: Omit<CapabilityOptions, 'operations'>;
  /** POST [base] with a Bundle (transaction / batch); undefined = not supported. */
  bundle?: (ctx: FhirContext, request: FhirRequest, router: RouterOptions) => Promise<FhirResponse>;
};

export async function routeFhirRequest(
  ctx: FhirContext,
  request: FhirRequest,
  options: RouterOptions,
): Promise<FhirResponse> {
  const [first, second, third, fourth, fifth, ...rest] = request.segments;
  const m = request.method === 'HEAD' ? 'GET' : request.method;
  // [type]/[id]/_history/[vid]/$[operation]: an operation on one version ($meta, $meta-add, $meta-delete)
  if (fifth !== undefined && rest.length === 0 && third === '_history' && fifth.startsWith('$') && first && second) {
    const versionId = /^[1-9]\d{0,9}$/.test(fourth ?? '') ? Number(fourth) : undefined;
    if (versionId === undefined)
      throw notFound(`Version "${(fourth ?? '').slice(0, 40)}" of ${first}/${second} is not known`);
    return operation(ctx, request, options, fifth, { level: 'instance', resourceType: first, id: second, versionId });
  }
  if (fifth !== undefined || rest.length > 0)
    throw notFound(`No FHIR interaction at /${request.segments.join('/').slice(0, 200)}`);

  if (first === undefined) {
    if (m === 'POST' && options.bundle) return options.bundle(ctx, request, options);
    if (m === 'GET') return systemSearchInteraction(ctx, request);
    throw methodNotAllowed(m, 'the base URL');
  }
  if (first === 'metadata') {
    if (m !== 'GET') throw methodNotAllowed(m, 'metadata');
    return capabilitiesInteraction(ctx, { ...options.capabilities, operations: options.operations.describe() });
  }
  if (first === '_history' && second === undefined) {
    if (m !== 'GET') throw methodNotAllowed(m, '_history');
    return historyInteraction(ctx, request);
  }
  if (first.startsWith('$')) {
    if (second !== undefined) throw notFound(`No FHIR interaction at /${request.segments.join('/').slice(0, 200)}`);
    return operation(ctx, request, options, first, { level: 'system' });
  }
  if (first === '_search' && second === undefined && m === 'POST') {
    return systemSearchInteraction(ctx, request);
  }

  const type = first;
  if (!ctx.resourceTypes.has(type))
    throw fhirError(404, 'not-supported', `Unknown resource type "${type.slice(0, 80)}"`);

  const rawBody = request.bodyStream;
  if (second === undefined) {
    if (m === 'POST' && type === 'Binary' && rawBody) return binaryUploadInteraction(ctx, request, rawBody);
    switch (m) {
      case 'GET':
        return typeSearchInteraction(ctx, request, type);
      case 'POST':
        return createInteraction(ctx, request, type);
      case 'PUT':
        return conditionalUpdateInteraction(ctx, request, type);
      case 'DELETE':
        return conditionalDeleteInteraction(ctx, request, type);
      case 'PATCH':
        return conditionalPatchInteraction(ctx, request, type);
      default:
        throw methodNotAllowed(m, type);
    }
  }
  if (second === '_search' && third === undefined) {
    if (m !== 'POST' && m !== 'GET') throw methodNotAllowed(m, `${type}/_search`);
    return typeSearchInteraction(ctx, request, type);
  }
  if (second === '_history' && third === undefined) {
    if (m !== 'GET') throw methodNotAllowed(m, `${type}/_history`);
    return historyInteraction(ctx, request, type);
  }
  if (second.startsWith('$')) {
    if (third !== undefined) throw notFound(`No FHIR interaction at /${request.segments.join('/').slice(0, 200)}`);
    return operation(ctx, request, options, second, { level: 'type', resourceType: type });
  }

  const id = second;
  if (third === undefined) {
    if (type === 'Binary' && m === 'GET') return binaryReadInteraction(ctx, request, id);
    if (type === 'Binary' && m === 'PUT' && rawBody) return binaryUploadInteraction(ctx, request, rawBody, id);
    switch (m) {
      case 'GET':
        return readInteraction(ctx, request, type, id);
      case 'PUT':
        return updateInteraction(ctx, request, type, id);
      case 'PATCH':
        return patchInteraction(ctx, request, type, id);
      case 'DELETE':
        return deleteInteraction(ctx, request, type, id);
      default:
        throw methodNotAllowed(m, `${type}/${id}`);
    }
  }
  if (third === '_history') {
    if (m !== 'GET') throw methodNotAllowed(m, `${type}/${id}/_history`);
    if (fourth === undefined) return historyInteraction(ctx, request, type, id);
    return type === 'Binary'
      ? binaryReadInteraction(ctx, request, id, fourth)
      : vreadInteraction(ctx, request, type, id, fourth);
  }
  if (fourth !== undefined) throw notFound(`No FHIR interaction at /${request.segments.join('/').slice(0, 200)}`);
  if (third.startsWith('$')) {
    return operation(ctx, request, options, third, { level: 'instance', resourceType: type, id });
  }
  if (m !== 'GET') throw methodNotAllowed(m, `${type}/${id}/${third}`);
  return compartmentSearchInteraction(ctx, request, type, id, third);
}

function operation(
  ctx: FhirContext,
  request: FhirRequest,
  options: RouterOptions,
  dollarName: string,
  target: OperationTarget,
) {
  const name = dollarName.slice(1);
  const handler = options.operations.find(name);
  const level = target.level;
  const typeOk = target.level === 'system' || !handler?.types || handler.types.includes(target.resourceType);
  const versionOk = target.level !== 'instance' || target.versionId === undefined || handler?.onVersions === true;
  if (!handler || !handler.levels.includes(level) || !typeOk || !versionOk) {
    throw fhirError(
      404,
      'not-supported',
      `Operation $${name.slice(0, 60)} is not supported at ${level} level${target.level !== 'system' ? ` on ${target.resourceType}` : ''}${versionOk ? '' : ' versions'}`,
    );
  }
  const method = request.method === 'HEAD' ? 'GET' : request.method;
  if (!handler.methods.includes(method)) throw methodNotAllowed(method, `$${name}`);
  return handler.handle(ctx, request, target);
}

function methodNotAllowed(method: string, where: string) {
  return fhirError(405, 'not-supported', `${method} is not allowed on ${where}`);
}
