/** The quantity kind: Quantity, Money, Range (`[prefix]value[|system|code]`, UCUM-canonical comparison). */
import type { SearchParamKind } from '../search-param-kind.js';
import { extractQuantity } from './extract-quantity.js';
import { quantityEntryKey, quantityEntryMatches } from './match-quantity.js';
import { parseQuantity } from './parse-quantity.js';
import { quantityMongo } from './quantity-mongo.js';
import { quantityPostgres } from './quantity-postgres.js';

export const quantityKind: SearchParamKind<'quantity'> = {
  kind: 'quantity',
  modifiers: [],
  parse: parseQuantity,
  extract: extractQuantity,
  entryKey: quantityEntryKey,
  entryMatches: quantityEntryMatches,
  negated: () => false,
  postgres: quantityPostgres,
  mongo: quantityMongo,
};
