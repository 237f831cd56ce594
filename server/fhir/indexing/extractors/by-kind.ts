import type { ParamKind } from '../../search/search-query.js';
import { extractDate } from './date-extractor.js';
import type { Extractor } from './extractor.js';
import { extractNumber } from './number-extractor.js';
import { extractQuantity } from './quantity-extractor.js';
import { extractReference } from './reference-extractor.js';
import { extractString } from './string-extractor.js';
import { tokenKind } from '../../search/kinds/token/token-kind.js';
import { extractUri } from './uri-extractor.js';

/** The extractor of each simple parameter kind (composite is built from these, see composite-extractor.ts). */
export const EXTRACTORS = {
  string: extractString,
  token: tokenKind.extract,
  date: extractDate,
  number: extractNumber,
  quantity: extractQuantity,
  reference: extractReference,
  uri: extractUri,
} as const satisfies Record<Exclude<ParamKind, 'composite'>, Extractor>;
