/**
 * What a $graphql call asks: the query text, its variables and operation name, from `?query=` (GET or a form), a
 * POST body in `application/graphql`, a JSON body `{query, variables, operationName}`, or a FHIR Parameters body
 * with a `query` parameter (the OperationDefinition's form). Anything unreadable is a 400.
 */
import type { Parameters } from '@medplum/fhirtypes';
import type { FhirRequest } from '../fhir-request.js';
import { badRequest } from '../errors.js';

export type GraphqlRequest = { query: string; variables?: Record<string, unknown>; operationName?: string };

/** Longest query text accepted (characters). */
export const MAX_QUERY_LENGTH = 100_000;

export function readGraphqlRequest(request: FhirRequest): GraphqlRequest {
  const param = (name: string) => request.params.find(([k]) => k === name)?.[1];
  const body = request.body;
  let query: unknown = param('query');
  let variables: unknown = param('variables');
  let operationName: unknown = param('operationName');
  if (typeof body === 'string') query = body;
  else if (isParameters(body)) query = body.parameter?.find((p) => p.name === 'query')?.valueString;
  else if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const json = body as Record<string, unknown>;
    query = json['query'];
    variables = json['variables'] ?? undefined;
    operationName = json['operationName'] ?? undefined;
  } else if (body !== undefined)
    throw badRequest('The body of $graphql is a JSON object {query, variables, operationName}');

  if (typeof query !== 'string' || query.trim() === '') throw badRequest('$graphql needs a query (the GraphQL text)');
  if (query.length > MAX_QUERY_LENGTH) throw badRequest(`The query is longer than ${MAX_QUERY_LENGTH} characters`);
  if (typeof variables === 'string' && variables !== '') {
    try {
      variables = JSON.parse(variables) as unknown;
    } catch {
      throw badRequest('variables is not JSON');
    }
  } else if (variables === '') variables = undefined;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    throw badRequest('variables must be a JSON object');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
    throw badRequest('operationName must be a string');
  return {
    query,
    variables: (variables ?? undefined) as Record<string, unknown> | undefined,
    operationName: operationName ?? undefined,
  };
}

function isParameters(body: unknown): body is Parameters {
  return (body as { resourceType?: unknown } | null)?.resourceType === 'Parameters';
}
