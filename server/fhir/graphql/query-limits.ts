/**
 * Limits against abusive queries, checked before anything is fetched: how deep fields nest and how many fields
 * the operation selects once its fragments are expanded (so a few fragments that spread each other many times
 * cannot multiply into millions of fields). The walk stops at the first limit passed. Store work is bounded at
 * run time as well (MAX_LOOKUPS in graphql-context.ts).
 */
import {
  GraphQLError,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

export const MAX_DEPTH = 15;
export const MAX_FIELDS = 2_000;

export function queryLimitErrors(
  document: DocumentNode,
  operationName: string | undefined,
  limits = { depth: MAX_DEPTH, fields: MAX_FIELDS },
): GraphQLError[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  const operations: OperationDefinitionNode[] = [];
  for (const d of document.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
    if (d.kind === Kind.OPERATION_DEFINITION) operations.push(d);
  }
  const selected = operationName ? operations.filter((o) => o.name?.value === operationName) : operations;
  let fields = 0;
  const walk = (set: SelectionSetNode, depth: number, seen: ReadonlySet<string>): GraphQLError | undefined => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD) {
        fields++;
        if (fields > limits.fields)
          return new GraphQLError(`The query selects more than ${limits.fields} fields (fragments expanded)`, {
            nodes: s,
            extensions: { code: 'too-costly' },
          });
        if (depth + 1 > limits.depth)
          return new GraphQLError(`Field "${s.name.value}" is nested deeper than ${limits.depth} levels`, {
            nodes: s,
            extensions: { code: 'too-costly' },
          });
        if (s.selectionSet) {
          const error = walk(s.selectionSet, depth + 1, seen);
          if (error) return error;
        }
      } else if (s.kind === Kind.INLINE_FRAGMENT) {
        const error = walk(s.selectionSet, depth, seen);
        if (error) return error;
      } else {
        const name = s.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue; // unknown or cyclic: reported by the standard validation
        const error = walk(fragment.selectionSet, depth, new Set([...seen, name]));
        if (error) return error;
      }
    }
    return undefined;
  };
  for (const operation of selected) {
    const error = walk(operation.selectionSet, 0, new Set());
    if (error) return [error];
  }
  return [];
}
