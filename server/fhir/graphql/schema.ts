/**
 * The FHIR GraphQL schemas, built on first use and kept for the process: the system schema (`[base]/$graphql`,
 * whose query type has `Patient(id:)`, `PatientList(…)`, `PatientConnection(…)` for every resource type) and one
 * instance schema per resource type (`[base]/Patient/[id]/$graphql`, whose query type is Patient itself, the focus
 * resource being the root value). All share the same generated types (fhir-types.ts). No mutations.
 */
import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLID,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLSchema,
  specifiedDirectives,
  type GraphQLFieldConfigMap,
} from 'graphql';
import { loadDefinitions } from '../definitions.js';
import { FhirGraphqlTypes } from './fhir-types.js';
import { readResource, type GraphqlContext } from './graphql-context.js';
import { searchArguments } from './search-args.js';
import { connectionResolver, CURSOR_ARG, listResolver } from './resource-lists.js';

/** The spec's output-shaping directives (applied to the result by directives.ts). */
export const FHIR_DIRECTIVES = [
  new GraphQLDirective({
    name: 'flatten',
    description: 'Leave this object out and put its fields in the parent (as lists, unless @singleton)',
    locations: [DirectiveLocation.FIELD],
  }),
  new GraphQLDirective({
    name: 'first',
    description: 'Only the first item of this list, as a single value',
    locations: [DirectiveLocation.FIELD],
  }),
  new GraphQLDirective({
    name: 'singleton',
    description: 'Inside @flatten: this field is one value, not a list',
    locations: [DirectiveLocation.FIELD],
  }),
];

let types: FhirGraphqlTypes | undefined;
let systemSchema: GraphQLSchema | undefined;
const instanceSchemas = new Map<string, GraphQLSchema>();

function fhirTypes(): FhirGraphqlTypes {
  types ??= new FhirGraphqlTypes(loadDefinitions().resourceTypes);
  return types;
}

export function getSystemSchema(): GraphQLSchema {
  if (systemSchema) return systemSchema;
  const t = fhirTypes();
  const fields: GraphQLFieldConfigMap<Record<string, unknown> | null | undefined, GraphqlContext> = {};
  for (const type of t.resourceTypes) {
    fields[type] = {
      type: t.objectType(type),
      args: { id: { type: new GraphQLNonNull(GraphQLID) } },
      resolve: (_root, args: { id: string }, g) => readResource(g, type, args.id),
    };
    fields[`${type}List`] = {
      type: new GraphQLList(t.objectType(type)),
      args: searchArguments(type),
      resolve: listResolver(type),
    };
    fields[`${type}Connection`] = {
      type: t.connectionType(type),
      args: { ...searchArguments(type), ...CURSOR_ARG },
      resolve: connectionResolver(type),
    };
  }
  systemSchema = new GraphQLSchema({
    query: new GraphQLObjectType({ name: 'Query', fields }),
    directives: [...specifiedDirectives, ...FHIR_DIRECTIVES],
  });
  return systemSchema;
}

/** The schema of `[base]/[type]/[id]/$graphql`: the query is a selection on the resource itself. */
export function getInstanceSchema(resourceType: string): GraphQLSchema {
  let schema = instanceSchemas.get(resourceType);
  if (!schema) {
    schema = new GraphQLSchema({
      query: fhirTypes().objectType(resourceType),
      directives: [...specifiedDirectives, ...FHIR_DIRECTIVES],
    });
    instanceSchemas.set(resourceType, schema);
  }
  return schema;
}
