/**
 * Test oracle (used by extract-index.corpus.test.ts only): evaluates a search parameter with HL7's
 * fhirpath.js — an engine independent of Medplum's — and reduces both its results and our entries to
 * comparable signatures ("system|code", "Type/id", normalised strings, …).
 */
import fhirpath from 'fhirpath';
import r4 from 'fhirpath/fhir-context/r4/index.js';
import { dateRange, normalizeString } from '../normalize.js';
import type { IndexEntry } from '../index-entry.js';
import type { SearchParameterInfo } from '../search-parameter-registry.js';
import { narrowExpression } from '../expression-text.js';
import { nameWords } from '../text/name-words.js';

type Node = { fhirNodeDataType?: string; data?: unknown } | string | number | boolean;
type Compiled = (resource: unknown) => Node[];

const OPTIONS = { resolveInternalTypes: false } as const;
const compiled = new Map<string, Compiled | null>();

/** `.where(resolve() is X)` → `.where(reference.startsWith('X/'))`: fhirpath.js resolve() is asynchronous. */
export function forFhirpathJs(expression: string): string {
  return expression.replace(/resolve\(\)\s+is\s+([A-Za-z]+)/g, "reference.startsWith('$1/')");
}

function compile(expression: string): Compiled | null {
  if (!compiled.has(expression)) {
    try {
      const fn = fhirpath.compile(forFhirpathJs(expression), r4, OPTIONS) as unknown as (
        r: unknown,
        env: object,
      ) => Node[];
      compiled.set(expression, (r) => fn(r, {}));
    } catch {
      compiled.set(expression, null);
    }
  }
  return compiled.get(expression)!;
}

export function evaluateWithFhirpathJs(
  resourceType: string,
  info: SearchParameterInfo,
  resource: unknown,
): Node[] | undefined {
  const fn = compile(narrowExpression(resourceType, info.expression));
  if (!fn) return undefined;
  try {
    return fn(resource);
  } catch {
    return undefined;
  }
}

/** Component expressions relative to one base node (composites). */
export function evaluateRelative(node: Node, expression: string): Node[] | undefined {
  try {
    return fhirpath.evaluate(node, forFhirpathJs(expression), {}, r4, OPTIONS) as Node[];
  } catch {
    return undefined;
  }
}

const obj = (v: unknown) => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const str = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strs = (v: unknown) =>
  (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string' && x.length > 0);

/**
 * Signatures of one fhirpath.js result for a parameter kind; undefined when the oracle does not model that
 * shape (the parameter is then left out of the comparison).
 */
/**
 * Signatures of a `phonetic` parameter's node: the keys of its name words (the key algorithm is ours: this checks
 * which texts are keyed — family and given, text only without them — not how they are keyed).
 */
export function phoneticSignatures(node: Node): string[] {
  const type = typeof node === 'object' ? node.fhirNodeDataType : typeof node;
  const data = typeof node === 'object' ? node.data : node;
  const d = obj(data);
  const texts = type === 'HumanName' ? [...strs(d.given), ...strs(d.family)] : typeof data === 'string' ? [data] : [];
  const all = texts.length === 0 && type === 'HumanName' ? strs(d.text) : texts;
  return all.flatMap((t) => nameWords(t).flatMap((w) => w.keys));
}

export function nodeSignatures(kind: string, node: Node): string[] | undefined {
  const type = typeof node === 'object' ? node.fhirNodeDataType : typeof node;
  const data = typeof node === 'object' ? node.data : node;
  const d = obj(data);
  switch (kind) {
    case 'token':
      if (type === 'Coding') return str(d.system) || str(d.code) ? [`${d.system ?? ''}|${d.code ?? ''}`] : [];
      if (type === 'CodeableConcept')
        return (Array.isArray(d.coding) ? d.coding : []).flatMap(
          (c) => nodeSignatures('token', { fhirNodeDataType: 'Coding', data: c }) ?? [],
        );
      if (type === 'Identifier' || type === 'ContactPoint') {
        if (type === 'ContactPoint' && !str(d.value)) return [];
        return str(d.system) || str(d.value) ? [`${d.system ?? ''}|${d.value ?? ''}`] : [];
      }
      return typeof data === 'string' || typeof data === 'boolean' || typeof data === 'number'
        ? [`|${data}`]
        : undefined;
    case 'string': {
      const parts =
        type === 'HumanName'
          ? ['family', 'given', 'prefix', 'suffix', 'text'].flatMap((k) => strs(d[k]))
          : type === 'Address'
            ? ['line', 'city', 'district', 'state', 'postalCode', 'country', 'text'].flatMap((k) => strs(d[k]))
            : typeof data === 'string' && type !== 'xhtml'
              ? [data]
              : undefined;
      return parts?.map(normalizeString).filter((s) => s.length > 0);
    }
    case 'reference': {
      if (typeof data === 'string') return data.includes('|') ? [data, data.split('|')[0]!] : [data];
      if (type !== 'Reference')
        return typeof d.resourceType === 'string' && str(d.id) ? [`${d.resourceType}/${d.id}`] : undefined;
      const ref = str(d.reference);
      if (ref && !ref.startsWith('#') && !ref.includes('?')) {
        const literal = /^([A-Z][A-Za-z]+)\/([^/]+)(\/_history\/.+)?$/.exec(ref);
        return [literal ? `${literal[1]}/${literal[2]}` : ref];
      }
      const identifier = str(obj(d.identifier).value);
      return !ref && identifier ? [`identifier:${identifier}`] : [];
    }
    case 'uri':
      return typeof data === 'string' ? [data] : undefined;
    case 'date': {
      if (typeof data === 'string') {
        const r = dateRange(data);
        return r ? [`${r.low}..${r.high}`] : [];
      }
      if (type === 'Period') {
        const start = str(d.start) ? dateRange(d.start as string) : undefined;
        const end = str(d.end) ? dateRange(d.end as string) : undefined;
        if (!start && !end) return [];
        return [`${start?.low ?? -8.64e15}..${end?.high ?? 8.64e15}`];
      }
      return undefined;
    }
    case 'quantity':
      if (type === 'Range') return undefined;
      if (type === 'Money')
        return typeof d.value === 'number' ? [`${d.value}|urn:iso:std:iso:4217|${d.currency ?? ''}`] : [];
      return typeof d.value === 'number' ? [`${d.value}|${d.system ?? ''}|${d.code ?? ''}`] : [];
    case 'number':
      return typeof data === 'number' ? [String(data)] : undefined;
    default:
      return undefined;
  }
}

/** The same signatures computed from our entries. */
export function entrySignatures(entry: IndexEntry): string[] {
  switch (entry.kind) {
    case 'token':
      return entry.system === null && entry.code === null ? [] : [`${entry.system ?? ''}|${entry.code ?? ''}`];
    case 'string':
      return entry.param === '_text' ? [] : [entry.value];
    case 'reference':
      if (entry.url) return [entry.url];
      if (entry.targetType && entry.targetId) return [`${entry.targetType}/${entry.targetId}`];
      return entry.identifierValue ? [`identifier:${entry.identifierValue}`] : [];
    case 'uri':
      return [entry.value];
    case 'date':
      return [`${entry.low}..${entry.high}`];
    case 'quantity':
      return [`${entry.value}|${entry.system ?? ''}|${entry.code ?? ''}`];
    case 'number':
      return [String(entry.value)];
    case 'composite':
      return [entry.parts.map((p) => entrySignatures(p)[0] ?? '').join(' & ')];
  }
}
