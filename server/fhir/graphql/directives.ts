/**
 * The spec's output-shaping directives, applied to the executed result (GraphQL itself never changes the shape of
 * a result): `@first` keeps the first item of a list as a single value; `@flatten` leaves the object out and adds
 * its fields to the parent, each as a list that collects the values of every flattened item; `@singleton` inside a
 * flattened object keeps that field a single value (the first) instead of a list. `@slice` is not supported.
 */
import {
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

type Json = Record<string, unknown>;

const has = (directives: readonly DirectiveNode[] | undefined, name: string) =>
  directives?.some((d) => d.name.value === name) === true;

/** Whether the document uses any of the shaping directives (most do not: their results are left alone). */
export function usesShapingDirectives(query: string): boolean {
  return /@(flatten|first|singleton)\b/.test(query);
}

export function applyShapingDirectives(document: DocumentNode, operationName: string | undefined, data: Json): Json {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const operation = document.definitions.find(
    (d) => d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
  );
  if (operation?.kind !== Kind.OPERATION_DEFINITION) return data;

  const shapeValue = (set: SelectionSetNode, value: unknown): unknown => {
    if (Array.isArray(value)) return value.map((v) => shapeValue(set, v));
    if (value !== null && typeof value === 'object') shapeObject(set, value as Json);
    return value;
  };
  const singletons = (set: SelectionSetNode, out: Set<string>): Set<string> => {
    for (const s of set.selections) {
      if (s.kind === Kind.FIELD && has(s.directives, 'singleton')) out.add(s.alias?.value ?? s.name.value);
      else if (s.kind === Kind.INLINE_FRAGMENT) singletons(s.selectionSet, out);
      else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (f) singletons(f.selectionSet, out);
      }
    }
    return out;
  };
  const shapeObject = (set: SelectionSetNode, object: Json): void => {
    for (const s of set.selections) {
      if (s.kind === Kind.INLINE_FRAGMENT) shapeObject(s.selectionSet, object);
      else if (s.kind === Kind.FRAGMENT_SPREAD) {
        const f = fragments.get(s.name.value);
        if (f) shapeObject(f.selectionSet, object);
      } else {
        const key = s.alias?.value ?? s.name.value;
        if (!(key in object)) continue;
        let value = object[key];
        if (s.selectionSet) value = shapeValue(s.selectionSet, value);
        if (has(s.directives, 'first')) value = Array.isArray(value) ? (value[0] ?? null) : value;
        if (!has(s.directives, 'flatten') || !s.selectionSet) {
          object[key] = value;
          continue;
        }
        delete object[key];
        const single = singletons(s.selectionSet, new Set());
        const items = (Array.isArray(value) ? value : [value]).filter(
          (v): v is Json => v !== null && typeof v === 'object',
        );
        for (const item of items) {
          for (const [k, v] of Object.entries(item)) {
            if (single.has(k)) {
              if (object[k] === undefined || object[k] === null) object[k] = v;
              continue;
            }
            const list = Array.isArray(object[k])
              ? (object[k] as unknown[])
              : object[k] === undefined
                ? []
                : [object[k]];
            if (Array.isArray(v)) list.push(...(v as unknown[]));
            else if (v !== null && v !== undefined) list.push(v);
            object[k] = list;
          }
        }
      }
    }
  };
  shapeObject(operation.selectionSet, data);
  return data;
}
