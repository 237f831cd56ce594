/**
 * The search control and result parameters every search accepts besides the search parameters of its types (R4
 * search.html), as data: parseSearch dispatches on exactly these names (a handler per name, checked by the type
 * system), and the CapabilityStatement lists exactly these in rest.searchParam. A name that is not here and is no
 * search parameter of the type is refused (400, or ignored under handling=lenient) as unknown.
 */
import { CURSOR_PARAM, DEFAULT_COUNT, MAX_COUNT, MAX_INCLUDE_SPECS } from './search-constants.js';

export type ControlParam = {
  /** The CapabilityStatement's searchParam.type. */
  type: 'number' | 'string' | 'token' | 'special';
  documentation: string;
  /** The spec's SearchParameter, where it defines one. */
  definition?: string;
};

const R4 = 'http://hl7.org/fhir/SearchParameter/';

export const CONTROL_PARAMS = {
  _count: { type: 'number', documentation: `Page size (default ${DEFAULT_COUNT}, at most ${MAX_COUNT})` },
  _sort: { type: 'string', documentation: 'Sort by search parameters (comma separated, - for descending)' },
  _total: { type: 'token', documentation: 'none | estimate | accurate' },
  _summary: { type: 'token', documentation: 'true | text | data | count | false' },
  _elements: { type: 'string', documentation: 'Return only these top-level elements (plus mandatory ones)' },
  _include: {
    type: 'special',
    documentation: `Include referenced resources (also :iterate; at most ${MAX_INCLUDE_SPECS} with _revinclude)`,
  },
  _revinclude: { type: 'special', documentation: 'Include resources referring to the matches (also :iterate)' },
  _type: { type: 'token', documentation: 'Resource types of a search across all types ([base]?_type=…)' },
  _has: { type: 'special', documentation: 'Reverse chaining: _has:Type:reference:parameter=value' },
  _filter: {
    type: 'special',
    documentation: 'FHIR filter expression over search parameters (comparisons, pr, and/or/not, parentheses)',
  },
  _list: { type: 'special', documentation: 'Resources named by a List (by id; functional lists are not supported)' },
  _text: {
    type: 'string',
    documentation: 'Words of the narrative',
    definition: `${R4}DomainResource-text`,
  },
  _content: {
    type: 'string',
    documentation: 'Words anywhere in the resource',
    definition: `${R4}Resource-content`,
  },
  _contained: { type: 'token', documentation: 'false only: contained resources are not searched' },
  _containedType: { type: 'token', documentation: 'container only: a container is returned whole' },
  [CURSOR_PARAM]: { type: 'special', documentation: 'Paging cursor of the next/previous links (opaque)' },
  _format: { type: 'token', documentation: 'json | xml | application/fhir+json | application/fhir+xml' },
  _pretty: { type: 'token', documentation: 'true: indented output' },
} as const satisfies Record<string, ControlParam>;

export type ControlParamName = keyof typeof CONTROL_PARAMS;

export function isControlParam(name: string): name is ControlParamName {
  return Object.hasOwn(CONTROL_PARAMS, name);
}
