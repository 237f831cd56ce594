/** The uri kind: uri/url/canonical values (`=`, `:above`, `:below`). */
import type { SearchParamKind } from '../search-param-kind.js';
import { extractUri } from './extract-uri.js';
import { uriEntryKey, uriEntryMatches } from './match-uri.js';
import { parseUri, URI_MODIFIERS } from './parse-uri.js';
import { uriMongo } from './uri-mongo.js';
import { uriPostgres } from './uri-postgres.js';

export const uriKind: SearchParamKind<'uri'> = {
  kind: 'uri',
  modifiers: URI_MODIFIERS,
  parse: parseUri,
  extract: extractUri,
  entryKey: uriEntryKey,
  entryMatches: uriEntryMatches,
  negated: () => false,
  postgres: uriPostgres,
  mongo: uriMongo,
};
