/** The reference kind: literal references, URLs and canonicals, logical identifiers (`:Type`, `:identifier`). */
import type { SearchParamKind } from '../search-param-kind.js';
import { extractReference } from './extract-reference.js';
import { referenceEntryKey, referenceEntryMatches } from './match-reference.js';
import { acceptsReferenceTypeModifier, parseReference, REFERENCE_MODIFIERS } from './parse-reference.js';
import { referenceMongo } from './reference-mongo.js';
import { referencePostgres } from './reference-postgres.js';

export const referenceKind: SearchParamKind<'reference'> = {
  kind: 'reference',
  modifiers: REFERENCE_MODIFIERS,
  acceptsOtherModifier: acceptsReferenceTypeModifier,
  parse: parseReference,
  extract: extractReference,
  entryKey: referenceEntryKey,
  entryMatches: referenceEntryMatches,
  negated: () => false,
  postgres: referencePostgres,
  mongo: referenceMongo,
};
