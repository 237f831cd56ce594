/**
 * `$graphql` (http://hl7.org/fhir/R4/graphql.html) at system level (`[base]/$graphql`) and instance level
 * (`[base]/[type]/[id]/$graphql`, the resource being the root of the query), GET or POST. Answers
 * `application/json` `{data, errors}`:
 * - a request that cannot be read (no query, bad body, GraphQL syntax error) is a 400 OperationOutcome, as
 *   Medplum and HAPI answer it;
 * - a query that does not fit the schema or the limits (query-limits.ts) is a 400 `{errors}` without data (the
 *   GraphQL-over-HTTP answer to a request error);
 * - errors while fetching (not found, not permitted, too many lookups) are GraphQL errors beside the partial data,
 *   status 200, each with `extensions.code` (the OperationOutcome issue code) and `extensions.status` (the status
 *   REST would have answered);
 * - at instance level the focus resource is read first, as GET [type]/[id]: 404/410/403 OperationOutcome.
 * Introspection (`__schema`, `__type`) is refused: the generated schema is several MB. No mutations.
 */
import {
  execute,
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLFormattedError,
} from 'graphql';
import type { FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';
import { badRequest, FhirError } from '../errors.js';
import type { OperationHandler } from '../operations/operation-registry.js';
import { graphqlContext, readResource } from './graphql-context.js';
import { readGraphqlRequest } from './graphql-request.js';
import { queryLimitErrors } from './query-limits.js';
import { getInstanceSchema, getSystemSchema } from './schema.js';
import { applyShapingDirectives, usesShapingDirectives } from './directives.js';

/** Most tokens the parser reads (a guard against enormous documents before validation). */
const MAX_TOKENS = 20_000;

/** The `$graphql` operation's handler (graphql-operation.ts loads this module on the first request). */
export const handleGraphql: OperationHandler['handle'] = async (ctx, request, target) => {
  const { query, variables, operationName } = readGraphqlRequest(request);
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: MAX_TOKENS });
  } catch (error) {
    throw badRequest(`GraphQL syntax error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500));
  }
  const instance = target.level === 'instance' ? target : undefined;
  const schema = instance ? getInstanceSchema(instance.resourceType) : getSystemSchema();
  const invalid = validate(schema, document, [...specifiedRules, NoSchemaIntrospectionCustomRule], {
    maxErrors: 20,
  });
  const errors = invalid.length > 0 ? invalid : queryLimitErrors(document, operationName);
  if (errors.length > 0) return json(400, { errors: errors.map((e) => e.toJSON()) });

  const g = graphqlContext(ctx);
  const root = instance ? await readResource(g, instance.resourceType, instance.id) : undefined;
  const result = await execute({
    schema,
    document,
    rootValue: root,
    contextValue: g,
    variableValues: variables,
    operationName,
  });
  const data =
    result.data && usesShapingDirectives(query)
      ? applyShapingDirectives(document, operationName, result.data)
      : result.data;
  const body: { data?: unknown; errors?: GraphQLFormattedError[] } = {};
  if (result.errors?.length) body.errors = result.errors.map((e) => formatError(ctx, e));
  if (result.data !== undefined) body.data = data;
  // no data at all: the request could not be executed (e.g. variables that do not fit their types)
  return json(result.data === undefined ? 400 : 200, body);
};

function formatError(ctx: FhirContext, error: GraphQLError): GraphQLFormattedError {
  const formatted = error.toJSON();
  const original = error.originalError;
  if (original instanceof FhirError) {
    const code = original.outcome.issue?.[0]?.code;
    return { ...formatted, extensions: { ...formatted.extensions, code, status: original.status } };
  }
  if (original && !(original instanceof GraphQLError)) {
    ctx.reportError?.(original);
    return { ...formatted, message: 'Internal error while resolving this field', extensions: { code: 'exception' } };
  }
  return formatted;
}

function json(status: number, body: unknown): FhirResponse {
  return { status, raw: { contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) } };
}
