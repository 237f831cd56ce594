/** FHIR primitive types (and FHIRPath system types used by element ids and urls) as GraphQL scalars. */
import { GraphQLBoolean, GraphQLInt, GraphQLString, type GraphQLScalarType } from 'graphql';
import { DecimalScalar } from './scalars.js';

const SCALARS: Record<string, GraphQLScalarType> = {
  boolean: GraphQLBoolean,
  integer: GraphQLInt,
  positiveInt: GraphQLInt,
  unsignedInt: GraphQLInt,
  decimal: DecimalScalar,
  base64Binary: GraphQLString,
  canonical: GraphQLString,
  code: GraphQLString,
  date: GraphQLString,
  dateTime: GraphQLString,
  id: GraphQLString,
  instant: GraphQLString,
  markdown: GraphQLString,
  oid: GraphQLString,
  string: GraphQLString,
  time: GraphQLString,
  uri: GraphQLString,
  url: GraphQLString,
  uuid: GraphQLString,
  xhtml: GraphQLString,
  'http://hl7.org/fhirpath/System.String': GraphQLString,
  'http://hl7.org/fhirpath/System.Boolean': GraphQLBoolean,
  'http://hl7.org/fhirpath/System.Integer': GraphQLInt,
  'http://hl7.org/fhirpath/System.Decimal': DecimalScalar,
  'http://hl7.org/fhirpath/System.Date': GraphQLString,
  'http://hl7.org/fhirpath/System.DateTime': GraphQLString,
  'http://hl7.org/fhirpath/System.Time': GraphQLString,
};

export function isPrimitiveCode(code: string): boolean {
  return code in SCALARS;
}

export function primitiveScalar(code: string): GraphQLScalarType | undefined {
  return SCALARS[code];
}
