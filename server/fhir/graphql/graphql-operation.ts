/**
 * `$graphql` (http://hl7.org/fhir/R4/graphql.html) at system level and instance level, GET or POST: what it answers
 * is described in graphql-execute.ts. The graphql library, the schema builder and the handler are loaded on the first
 * `$graphql` request, not at start-up: a server whose clients never use GraphQL does not hold them (~20 MB resident
 * for the code; the generated schema, ~110 MB, was already built on first use).
 */
import type { OperationHandler } from '../operations/operation-registry.js';

export const graphqlOperation: OperationHandler = {
  name: 'graphql',
  definition: 'http://hl7.org/fhir/OperationDefinition/Resource-graphql',
  levels: ['system', 'instance'],
  methods: ['GET', 'POST'],
  handle: async (ctx, request, target) => (await import('./graphql-execute.js')).handleGraphql(ctx, request, target),
};
