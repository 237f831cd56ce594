import { loadDefinitions } from '../../../definitions.js';
import type { IndexEntry, ReferenceEntry } from '../../../indexing/index-entry.js';
import { asObject, asString, type Extractor } from '../../../indexing/extractors/extractor.js';

let resourceTypes: Set<string> | undefined;

function isResourceType(name: string): boolean {
  resourceTypes ??= new Set(loadDefinitions().resourceTypes);
  return resourceTypes.has(name);
}

const LITERAL = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABSOLUTE_TAIL = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/**
 * Reference: `Type/id` → targetType/targetId; an absolute URL → url (plus targetType/targetId when it ends
 * in `Type/id`); `urn:uuid:`/`urn:oid:` and other URIs → url only; contained `#x` and unresolved conditional
 * references (`Type?query`) are skipped; Reference.identifier → identifierSystem/identifierValue.
 * canonical/uri values (canonical parameters) → url, plus the url without `|version` when one is given.
 * An embedded resource (e.g. Bundle.entry[0].resource) → its type and id.
 */
export const extractReference: Extractor = (param, { type, value }, out) => {
  if (typeof value === 'string') {
    pushCanonical(param, value, out);
    return;
  }
  const object = asObject(value);
  if (!object) return;
  if (type !== 'Reference' && typeof object.resourceType === 'string') {
    const id = asString(object.id);
    if (id && isResourceType(object.resourceType))
      out.push({ kind: 'reference', param, targetType: object.resourceType, targetId: id, url: null });
    return;
  }
  const entry = parseReference(param, asString(object.reference));
  const identifier = asObject(object.identifier);
  const identifierValue = asString(identifier?.value);
  if (identifierValue) {
    const withIdentifier: ReferenceEntry = entry ?? {
      kind: 'reference',
      param,
      targetType: null,
      targetId: null,
      url: null,
    };
    if (!entry && typeof object.type === 'string' && isResourceType(object.type))
      withIdentifier.targetType = object.type;
    const system = asString(identifier?.system);
    if (system) withIdentifier.identifierSystem = system;
    withIdentifier.identifierValue = identifierValue;
    out.push(withIdentifier);
  } else if (entry) {
    out.push(entry);
  }
};

/** The entry for a literal reference string, or undefined when it is absent, contained or conditional. */
export function parseReference(param: string, reference: string | undefined): ReferenceEntry | undefined {
  if (!reference || reference.startsWith('#')) return undefined;
  const literal = LITERAL.exec(reference);
  if (literal) {
    if (isResourceType(literal[1]!))
      return { kind: 'reference', param, targetType: literal[1]!, targetId: literal[2]!, url: null };
    return undefined;
  }
  if (/^https?:\/\//i.test(reference)) {
    if (reference.includes('?')) return undefined;
    const tail = ABSOLUTE_TAIL.exec(reference);
    const typed = tail && isResourceType(tail[1]!);
    return {
      kind: 'reference',
      param,
      targetType: typed ? tail[1]! : null,
      targetId: typed ? tail[2]! : null,
      url: reference,
    };
  }
  if (reference.includes('?') || !/^[a-z][a-z0-9+.-]*:/i.test(reference)) return undefined;
  return { kind: 'reference', param, targetType: null, targetId: null, url: reference };
}

function pushCanonical(param: string, value: string, out: IndexEntry[]): void {
  const bar = value.indexOf('|');
  const urls = bar > 0 ? [value, value.slice(0, bar)] : [value];
  for (const url of urls) {
    const entry = parseReference(param, url);
    if (entry) out.push(entry);
  }
}
