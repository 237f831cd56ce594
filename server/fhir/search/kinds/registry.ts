/**
 * The search-parameter kinds by FHIR type: code that differs by kind asks `kindOf(kind)` instead of switching over
 * kinds itself. Composite parameters are tuples of these: composite/composite-kind.ts holds their parsing, extraction,
 * matching and PostgreSQL and Mongo compilation, handing each part to its own kind here.
 */
import { dateKind } from './date/date-kind.js';
import { numberKind } from './number/number-kind.js';
import { quantityKind } from './quantity/quantity-kind.js';
import { referenceKind } from './reference/reference-kind.js';
import type { PlainKind, SearchParamKind } from './search-param-kind.js';
import { stringKind } from './string/string-kind.js';
import { tokenKind } from './token/token-kind.js';
import { uriKind } from './uri/uri-kind.js';

const KINDS: { [K in PlainKind]: SearchParamKind<K> } = {
  string: stringKind,
  token: tokenKind,
  date: dateKind,
  number: numberKind,
  quantity: quantityKind,
  reference: referenceKind,
  uri: uriKind,
};

export const PLAIN_KINDS = Object.keys(KINDS) as PlainKind[];

/** The kind object of `kind`; with a union of kinds, one whose methods take the union's conditions and entries. */
export function kindOf<K extends PlainKind>(kind: K): SearchParamKind<K> {
  return KINDS[kind];
}

export function isPlainKind(kind: string): kind is PlainKind {
  return Object.hasOwn(KINDS, kind);
}
