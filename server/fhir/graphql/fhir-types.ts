/**
 * The GraphQL object types of the FHIR R4 types, generated from the StructureDefinitions loaded in @medplum/core
 * (definitions.ts): one object type per resource, data type and backbone element (`PatientContact`), choice
 * elements spelled as in JSON (`deceasedBoolean`, `deceasedDateTime`), `Resource` the union of every resource type
 * (contained resources, Bundle entries, resolved references). Resource types also carry the reverse-reference
 * lists (`ObservationList(_reference: patient)`), lists of complex items take item filters (list-elements.ts) and
 * Reference has `resource(type:, optional:)`. Types are made on first use and kept.
 */
import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLFloat,
  GraphQLID,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  GraphQLUnionType,
  type GraphQLFieldConfig,
  type GraphQLFieldConfigMap,
  type GraphQLOutputType,
} from 'graphql';
import { capitalize, getDataType, type InternalSchemaElement } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { listSearchParameters } from '../indexing/search-parameter-registry.js';
import type { GraphqlContext } from './graphql-context.js';
import { filterItems, listElementArguments, PAGING_ARGS } from './list-elements.js';
import { primitiveScalar } from './primitive-types.js';
import { resolveReference, type ResolveArgs } from './reference-resolution.js';
import { decimalOutput, FilterValueScalar } from './scalars.js';
import { argumentName, searchArguments } from './search-args.js';
import { connectionResolver, listResolver, CURSOR_ARG } from './resource-lists.js';

type Source = Record<string, unknown>;

export class FhirGraphqlTypes {
  private readonly objects = new Map<string, GraphQLObjectType>();
  private readonly connections = new Map<string, GraphQLObjectType>();
  private readonly referenceEnums = new Map<string, GraphQLEnumType>();
  private referrers: Map<string, string[]> | undefined;
  readonly resourceTypeSet: ReadonlySet<string>;
  readonly resourceUnion: GraphQLUnionType;

  constructor(readonly resourceTypes: readonly string[]) {
    this.resourceTypeSet = new Set(resourceTypes);
    this.resourceUnion = new GraphQLUnionType({
      name: 'Resource',
      description: 'Any FHIR resource: select its fields with `... on Patient { … }`',
      types: () => resourceTypes.map((t) => this.objectType(t)),
      resolveType: (value) => (value as Resource).resourceType,
    });
  }

  objectType(name: string): GraphQLObjectType {
    let type = this.objects.get(name);
    if (!type) {
      const schema = getDataType(name);
      type = new GraphQLObjectType({
        name,
        description: schema.description?.slice(0, 500),
        fields: () => this.fieldsOf(name),
      });
      this.objects.set(name, type);
    }
    return type;
  }

  /** `PatientConnection`: a page of a search with its paging cursors (the spec's Connection API). */
  connectionType(resourceType: string): GraphQLObjectType {
    let type = this.connections.get(resourceType);
    if (!type) {
      const edge = new GraphQLObjectType({
        name: `${resourceType}Edge`,
        fields: () => ({
          mode: { type: GraphQLString },
          score: { type: GraphQLFloat },
          resource: { type: this.objectType(resourceType) },
        }),
      });
      type = new GraphQLObjectType({
        name: `${resourceType}Connection`,
        fields: {
          count: { type: GraphQLInt, description: 'Total number of matches' },
          offset: { type: GraphQLInt, description: 'Position of the first edge in the whole result' },
          pagesize: { type: GraphQLInt },
          first: { type: GraphQLString, description: 'Cursor of the first page (pass as _cursor)' },
          previous: { type: GraphQLString, description: 'Cursor of the previous page' },
          next: { type: GraphQLString, description: 'Cursor of the next page' },
          last: { type: GraphQLString, description: 'Not known for keyset paging: always null' },
          edges: { type: new GraphQLList(edge) },
        },
      });
      this.connections.set(resourceType, type);
    }
    return type;
  }

  /** The reference search parameters of a type, as the values `_reference` takes. */
  referenceEnum(resourceType: string): GraphQLEnumType {
    let type = this.referenceEnums.get(resourceType);
    if (!type) {
      const values: Record<string, { value: string }> = {};
      for (const p of listSearchParameters(resourceType))
        if (p.kind === 'reference') values[argumentName(p.code)] = { value: p.code };
      type = new GraphQLEnumType({ name: `${resourceType}ReferenceParameter`, values });
      this.referenceEnums.set(resourceType, type);
    }
    return type;
  }

  /** Resource types with a reference search parameter that may point at `target`. */
  referringTypes(target: string): string[] {
    if (!this.referrers) {
      const index = new Map<string, Set<string>>();
      for (const source of this.resourceTypes) {
        for (const p of listSearchParameters(source)) {
          if (p.kind !== 'reference') continue;
          for (const t of p.targets) {
            const set = index.get(t) ?? new Set<string>();
            set.add(source);
            index.set(t, set);
          }
        }
      }
      this.referrers = new Map([...index].map(([t, s]) => [t, [...s].sort()]));
    }
    return this.referrers.get(target) ?? [];
  }

  private fieldsOf(name: string): GraphQLFieldConfigMap<Source, GraphqlContext> {
    const schema = getDataType(name);
    const isResource = this.resourceTypeSet.has(name);
    const fields: GraphQLFieldConfigMap<Source, GraphqlContext> = {};
    if (isResource) fields['resourceType'] = { type: GraphQLString };
    for (const [key, element] of Object.entries(schema.elements)) {
      if (key.includes('.')) continue;
      if (key.endsWith('[x]')) {
        const base = key.slice(0, -3);
        for (const t of element.type)
          fields[base + capitalize(t.code)] = this.elementField(base + capitalize(t.code), t.code, element);
      } else if (element.type.length > 0) {
        fields[key] = this.elementField(key, element.type[0]!.code, element);
      }
    }
    if (isResource) fields['id'] = { type: GraphQLID };
    if (name === 'Reference') {
      fields['resource'] = {
        type: this.resourceUnion,
        description: 'The resource referred to, read with the caller access; `type` keeps only that type',
        args: {
          type: { type: FilterValueScalar },
          optional: { type: GraphQLBoolean, description: 'null instead of an error when it cannot be resolved' },
        },
        resolve: (src, args, g) => resolveReference(g, src, ownerOf(g, src), args as ResolveArgs),
      };
    }
    if (isResource) Object.assign(fields, this.reverseFields(name));
    return fields;
  }

  private elementField(
    key: string,
    code: string,
    element: InternalSchemaElement,
  ): GraphQLFieldConfig<Source, GraphqlContext> {
    const many = element.isArray === true;
    const scalar = primitiveScalar(code);
    if (scalar) {
      const type = many ? new GraphQLList(scalar) : scalar;
      const args = many ? { ...PAGING_ARGS } : undefined;
      if (code === 'decimal' || code.endsWith('System.Decimal'))
        return {
          type,
          args,
          resolve: (src, a: Record<string, unknown>) => (many ? filterDecimals(src[key], a) : decimalOutput(src, key)),
        };
      return many ? { type, args, resolve: (src, a: Record<string, unknown>) => filterItems(src[key], a) } : { type };
    }
    const isResource = code === 'Resource' || this.resourceTypeSet.has(code);
    const itemType: GraphQLOutputType = isResource ? this.resourceUnion : this.objectType(code);
    // a contained resource resolves `#id` against its container; any other resource against itself
    const keepOwner = !isResource || key === 'contained';
    if (!many)
      return {
        type: itemType,
        resolve: (src, _a, g) => adopt(g, src, src[key], keepOwner),
      };
    return {
      type: new GraphQLList(itemType),
      args: isResource ? { ...PAGING_ARGS } : listElementArguments(getDataType(code)),
      resolve: (src, a: Record<string, unknown>, g) => adopt(g, src, filterItems(src[key], a), keepOwner),
    };
  }

  private reverseFields(target: string): GraphQLFieldConfigMap<Source, GraphqlContext> {
    const fields: GraphQLFieldConfigMap<Source, GraphqlContext> = {};
    for (const source of this.referringTypes(target)) {
      const args = { _reference: { type: new GraphQLNonNull(this.referenceEnum(source)) }, ...searchArguments(source) };
      fields[`${source}List`] = {
        type: new GraphQLList(this.objectType(source)),
        description: `${source} resources whose _reference parameter points at this resource`,
        args,
        resolve: listResolver(source),
      };
      fields[`${source}Connection`] = {
        type: this.connectionType(source),
        args: { ...args, ...CURSOR_ARG },
        resolve: connectionResolver(source),
      };
    }
    return fields;
  }
}

function filterDecimals(values: unknown, args: Record<string, unknown>): unknown {
  const kept = filterItems(values, args);
  if (!Array.isArray(values) || !Array.isArray(kept)) return kept;
  const offset = typeof args['_offset'] === 'number' ? Math.max(0, args['_offset']) : 0;
  return kept.map((_v, i) => decimalOutput(values, offset + i));
}

/** Whose `contained` a `#id` inside this object points into. */
export function ownerOf(g: GraphqlContext, value: unknown): Resource | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const owner = g.owners.get(value);
  if (owner) return owner;
  return typeof (value as Resource).resourceType === 'string' ? (value as Resource) : undefined;
}

/** Records the owner of child objects as it hands them out. */
function adopt<T>(g: GraphqlContext, parent: Source, value: T, keepOwner: boolean): T {
  if (!keepOwner) return value;
  const owner = ownerOf(g, parent);
  if (!owner) return value;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  for (const item of items) if (item !== null && typeof item === 'object') g.owners.set(item, owner);
  return value;
}
