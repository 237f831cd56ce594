/** The token kind: codes, identifiers, booleans, contact points (`[system|]code`, `:not`, `:text`, `:of-type`). */
import type { SearchParamKind } from '../search-param-kind.js';
import { extractToken } from './extract-token.js';
import { tokenEntryKey, tokenEntryMatches } from './match-token.js';
import { acceptsOtherTokenModifier, parseToken, TOKEN_MODIFIERS } from './parse-token.js';
import { tokenMongo } from './token-mongo.js';
import { tokenPostgres } from './token-postgres.js';

export const tokenKind: SearchParamKind<'token'> = {
  kind: 'token',
  modifiers: TOKEN_MODIFIERS,
  acceptsOtherModifier: acceptsOtherTokenModifier,
  parse: parseToken,
  extract: extractToken,
  entryKey: tokenEntryKey,
  entryMatches: tokenEntryMatches,
  negated: (condition) => condition.negate,
  postgres: tokenPostgres,
  mongo: tokenMongo,
};
