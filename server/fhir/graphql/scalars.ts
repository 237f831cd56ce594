/**
 * The scalars of the FHIR GraphQL schema beyond GraphQL's own: `Decimal` (a FHIR decimal written back with the
 * digits it was stored with, so 1.50 stays 1.50) and `FilterValue` (the value of an element filter such as
 * `name(use: official)`: the spec writes codes bare, which GraphQL reads as an enum literal, so any scalar or
 * enum literal is taken as its text).
 */
import { GraphQLError, GraphQLScalarType, Kind, type ConstValueNode } from 'graphql';
import { numberTextOf } from '../../json/number-texts.js';

// eslint-disable-next-line @typescript-eslint/unbound-method -- JSON.rawJSON is a static function
const rawJSON = (JSON as unknown as { rawJSON(text: string): object }).rawJSON;
// eslint-disable-next-line @typescript-eslint/unbound-method -- JSON.isRawJSON is a static function
const isRawJSON = (JSON as unknown as { isRawJSON(value: unknown): boolean }).isRawJSON;

/** A decimal element's value for output: its stored text when that differs from String(value). */
export function decimalOutput(holder: unknown, key: string | number): unknown {
  const value = (holder as Record<string, unknown> | undefined)?.[key];
  if (typeof value !== 'number') return value;
  const text = numberTextOf(holder, key);
  return text === undefined ? value : rawJSON(text);
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'A FHIR decimal: a JSON number written with the precision it was stored with',
  coerceOutputValue: (value: unknown) => {
    if (typeof value === 'number' || isRawJSON(value)) return value;
    throw new GraphQLError(`Decimal cannot represent ${String(value).slice(0, 40)}`);
  },
  coerceInputValue: (value: unknown) => {
    if (typeof value === 'number') return value;
    throw new GraphQLError('Decimal takes a number');
  },
  coerceInputLiteral: (node: ConstValueNode) => {
    if (node.kind === Kind.INT || node.kind === Kind.FLOAT) return Number(node.value);
    throw new GraphQLError('Decimal takes a number');
  },
});

export const FilterValueScalar = new GraphQLScalarType({
  name: 'FilterValue',
  description: 'The value an element must have: a string, number, boolean or a bare code (`use: official`)',
  coerceOutputValue: (value: unknown) => String(value),
  coerceInputValue: (value: unknown) => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new GraphQLError('A filter value is a string, number, boolean or code');
  },
  coerceInputLiteral: (node: ConstValueNode) => {
    switch (node.kind) {
      case Kind.STRING:
      case Kind.ENUM:
      case Kind.INT:
      case Kind.FLOAT:
        return node.value;
      case Kind.BOOLEAN:
        return String(node.value);
      default:
        throw new GraphQLError('A filter value is a string, number, boolean or code');
    }
  },
});
