/** Uri entries in MongoDB: the index on idx.uri and the filter on one element. */
import { literalRegExp } from '../../../../store/mongo/filter-parts.js';
import type { MongoKind } from '../search-param-kind.js';

export const uriMongo: MongoKind<'uri'> = {
  indexes: [{ name: 'uri', keys: { 'idx.uri.param': 1, 'idx.uri.value': 1 } }],
  filter: ({ match, values }) => {
    switch (match) {
      case 'eq':
        return { value: values.length === 1 ? values[0] : { $in: values } };
      case 'below':
        return { value: { $in: values.map((v) => literalRegExp(v, true)) } };
      case 'above':
        return { value: { $in: [...new Set(values.flatMap(uriAncestors))] } };
    }
  },
  sortExtent: (e) => ({ kind: 'string', min: e.value, max: e.value }),
};

/** `http://a.org/fhir/ValueSet/x` → itself, `http://a.org/fhir/ValueSet`, `http://a.org/fhir`, `http://a.org`. */
export function uriAncestors(uri: string): string[] {
  const authorityEnd = uri.indexOf('://') >= 0 ? uri.indexOf('/', uri.indexOf('://') + 3) : -1;
  const out = [uri];
  for (
    let cut = uri.lastIndexOf('/');
    cut > 0 && cut >= authorityEnd && authorityEnd >= 0;
    cut = uri.lastIndexOf('/', cut - 1)
  ) {
    const prefix = uri.slice(0, cut);
    if (prefix.length > 0 && !out.includes(prefix)) out.push(prefix);
  }
  return out;
}
