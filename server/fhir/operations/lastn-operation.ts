/**
 * Observation/$lastn (GET, or POST with form parameters or a Parameters body): the searchset Bundle of lastn.ts,
 * every group complete on one page, the self link pointing back at $lastn.
 */
import type { Bundle, Parameters } from '@medplum/fhirtypes';
import type { FhirRequest } from '../fhir-request.js';
import { searchTimeoutMs } from '../fhir-context.js';
import { badRequest } from '../errors.js';
import { searchBundle } from '../search/search-bundle.js';
import type { OperationHandler } from './operation-registry.js';
import { lastn } from './lastn.js';

const PASSTHROUGH = new Set(['_format', '_pretty']);

export const lastnOperation: OperationHandler = {
  name: 'lastn',
  definition: 'http://hl7.org/fhir/OperationDefinition/Observation-lastn',
  levels: ['type'],
  types: ['Observation'],
  methods: ['GET', 'POST'],
  handle: async (ctx, request) => {
    const params = [...request.params, ...bodyParams(request)].filter(([name]) => !PASSTHROUGH.has(name));
    const result = await lastn({
      store: ctx.store,
      params,
      baseUrl: ctx.baseUrl,
      access: ctx.access,
      handling: ctx.prefer.handling,
      timeoutMs: searchTimeoutMs(ctx),
      now: ctx.now().getTime(),
    });
    const bundle: Bundle = searchBundle({
      location: { baseUrl: ctx.baseUrl, resourceTypes: ['Observation'], params },
      matches: result.matches.map((v) => v.resource!),
      included: [],
      warnings: result.warnings,
      total: result.matches.length,
    });
    const query = new URLSearchParams(params).toString();
    bundle.link = [{ relation: 'self', url: `${ctx.baseUrl}/Observation/$lastn${query ? `?${query}` : ''}` }];
    return { status: 200, resource: bundle };
  },
};

/** A Parameters body's parameters as name/value pairs (strings, codes, integers, references). */
function bodyParams(request: FhirRequest): Array<[string, string]> {
  const body = request.body as Parameters | undefined;
  if (body === undefined) return [];
  if (body.resourceType !== 'Parameters') throw badRequest('The body of $lastn must be a Parameters resource');
  return (body.parameter ?? []).map((p): [string, string] => {
    const value: unknown = Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
    if (typeof value === 'string' || typeof value === 'number') return [p.name, String(value)];
    const reference = (value as { reference?: unknown } | undefined)?.reference;
    if (typeof reference === 'string') return [p.name, reference];
    throw badRequest(`Parameter '${String(p.name).slice(0, 60)}' of $lastn needs a simple value`);
  });
}
