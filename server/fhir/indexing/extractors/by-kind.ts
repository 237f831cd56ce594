import type { ParamKind } from '../../search/search-query.js';
import { extractDate } from '../../search/kinds/date/extract-date.js';
import type { Extractor } from './extractor.js';
import { extractNumber } from '../../search/kinds/number/extract-number.js';
import { extractQuantity } from '../../search/kinds/quantity/extract-quantity.js';
import { extractReference } from '../../search/kinds/reference/extract-reference.js';
import { extractString } from '../../search/kinds/string/extract-string.js';
import { tokenKind } from '../../search/kinds/token/token-kind.js';
import { extractUri } from '../../search/kinds/uri/extract-uri.js';

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
