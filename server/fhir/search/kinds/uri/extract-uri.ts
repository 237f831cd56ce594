import { asObject, asString, type Extractor } from '../../../indexing/extractors/extractor.js';

/** uri/url/canonical/oid/uuid (and any string) as written; a Reference gives its reference string. */
export const extractUri: Extractor = (param, { type, value }, out) => {
  const uri = type === 'Reference' ? asString(asObject(value)?.reference) : asString(value);
  if (uri) out.push({ kind: 'uri', param, value: uri });
};
