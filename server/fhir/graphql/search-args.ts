/**
 * FHIR search parameters as GraphQL arguments (`PatientList(name: "pet", birthdate: "ge1970", _count: 10)`): one
 * String argument per search parameter of the type, its code with `-` written `_` (GraphQL names allow no dash),
 * plus the result parameters the store search takes. Values are passed to the REST parser as they are (commas OR,
 * prefixes, modifiers are not expressible as GraphQL names: `_filter` covers what the arguments cannot).
 */
import { GraphQLInt, GraphQLString, type GraphQLFieldConfigArgumentMap } from 'graphql';
import { listSearchParameters } from '../indexing/search-parameter-registry.js';

/** GraphQL argument name of a search parameter code (`general-practitioner` → `general_practitioner`). */
export function argumentName(code: string): string {
  return code.replace(/-/g, '_');
}

const VALID_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Result parameters every list takes (besides the type's search parameters). */
const RESULT_ARGS = {
  _count: { type: GraphQLInt, description: 'Page size (as the REST _count; capped at the server page size)' },
  _sort: { type: GraphQLString, description: 'As the REST _sort: comma-separated parameters, `-` for descending' },
  _filter: { type: GraphQLString, description: 'The FHIR _filter expression' },
} as const;

const byType = new Map<string, { args: GraphQLFieldConfigArgumentMap; codes: Map<string, string> }>();

function build(resourceType: string): { args: GraphQLFieldConfigArgumentMap; codes: Map<string, string> } {
  let built = byType.get(resourceType);
  if (built) return built;
  const args: GraphQLFieldConfigArgumentMap = { ...RESULT_ARGS };
  const codes = new Map<string, string>();
  for (const param of listSearchParameters(resourceType)) {
    if (param.kind === 'special') continue;
    const name = argumentName(param.code);
    if (!VALID_NAME.test(name) || name in args) continue;
    args[name] = { type: GraphQLString, description: `Search parameter ${param.code} (${param.kind})` };
    codes.set(name, param.code);
  }
  built = { args, codes };
  byType.set(resourceType, built);
  return built;
}

/** The arguments of `[type]List` / `[type]Connection`. */
export function searchArguments(resourceType: string): GraphQLFieldConfigArgumentMap {
  return build(resourceType).args;
}

/** GraphQL argument values → REST search pairs (in argument order; null/absent arguments left out). */
export function searchParams(resourceType: string, args: Record<string, unknown>): Array<[string, string]> {
  const { codes } = build(resourceType);
  const params: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(args)) {
    if (value === null || value === undefined) continue;
    if (name in RESULT_ARGS) params.push([name, String(value)]);
    else {
      const code = codes.get(name);
      if (code !== undefined) params.push([code, String(value)]);
    }
  }
  return params;
}
