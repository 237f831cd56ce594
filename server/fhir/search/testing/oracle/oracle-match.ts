/**
 * TEST ORACLE: the FHIR R4 matching rules applied directly to the element values fhirpath.js returns
 * (strings, HumanName, Address, Coding, CodeableConcept, Identifier, Quantity, Period, Reference …).
 * Written from the spec, without the production normaliser or index entries.
 */
import { convertUcum } from './oracle-params.js';

export const UCUM = 'http://unitsofmeasure.org';

export function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null;
const strs = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x) => typeof x === 'string') : typeof v === 'string' ? [v] : [];

/** The strings a string parameter searches in one value. */
export function stringsOf(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!isObj(v)) return [];
  if ('family' in v || 'given' in v)
    return [...strs(v.family), ...strs(v.given), ...strs(v.prefix), ...strs(v.suffix), ...strs(v.text)];
  if ('city' in v || 'line' in v || 'postalCode' in v || 'country' in v) {
    return [
      ...strs(v.line),
      ...strs(v.city),
      ...strs(v.district),
      ...strs(v.state),
      ...strs(v.postalCode),
      ...strs(v.country),
      ...strs(v.text),
    ];
  }
  return Object.values(v).flatMap((x) => (typeof x === 'string' ? [x] : []));
}

export type Token = {
  system?: string;
  code?: string;
  text?: string;
  typeCodings?: Array<{ system?: string; code?: string }>;
};

export function tokensOf(v: unknown): Token[] {
  if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return [{ code: String(v) }];
  if (!isObj(v)) return [];
  if (Array.isArray(v.coding) || ('text' in v && !('value' in v))) {
    const codings = (Array.isArray(v.coding) ? v.coding : []) as Obj[];
    const text = typeof v.text === 'string' ? v.text : undefined;
    const out = codings.map((c) => ({
      system: c.system as string | undefined,
      code: c.code as string | undefined,
      text: (c.display as string | undefined) ?? text,
    }));
    if (text) out.push({ system: undefined, code: undefined, text });
    return out;
  }
  if (typeof v.value === 'string' && !('code' in v)) {
    const type = isObj(v.type) ? v.type : undefined;
    return [
      {
        system: v.system as string | undefined,
        code: v.value,
        text: type && typeof type.text === 'string' ? type.text : undefined,
        typeCodings:
          type && Array.isArray(type.coding)
            ? (type.coding as Obj[]).map((c) => ({ system: c.system as string, code: c.code as string }))
            : [],
      },
    ];
  }
  if ('code' in v || 'system' in v)
    return [
      {
        system: v.system as string | undefined,
        code: v.code as string | undefined,
        text: v.display as string | undefined,
      },
    ];
  return [];
}

/** Inclusive [low, high] in ms of a FHIR date/dateTime/instant at its precision (no zone → UTC). */
export function dateSpan(text: string): [number, number] | undefined {
  const m = /^(\d{4})(-(\d{2}))?(-(\d{2}))?(T(\d{2}):(\d{2})(:(\d{2})(\.(\d+))?)?(Z|([+-])(\d{2}):(\d{2}))?)?$/.exec(
    text,
  );
  if (!m) return undefined;
  const y = +m[1]!;
  const mo = m[3] ? +m[3] - 1 : undefined;
  const d = m[5] ? +m[5] : undefined;
  if (mo === undefined) return [Date.UTC(y, 0, 1), Date.UTC(y + 1, 0, 1) - 1];
  if (d === undefined) return [Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1) - 1];
  if (!m[6]) return [Date.UTC(y, mo, d), Date.UTC(y, mo, d + 1) - 1];
  const offset = m[13] && m[13] !== 'Z' ? (m[14] === '-' ? -1 : 1) * (+m[15]! * 60 + +m[16]!) * 60000 : 0;
  const t = Date.UTC(y, mo, d, +m[7]!, +m[8]!, m[10] ? +m[10] : 0) - offset;
  if (!m[10]) return [t, t + 59999];
  if (!m[12]) return [t, t + 999];
  const digits = Math.min(3, m[12].length);
  const ms = Math.floor(Number(`0.${m[12]}`) * 1000);
  return [t + ms, t + ms + 10 ** (3 - digits) - 1];
}

export function dateSpanOf(v: unknown): [number, number] | undefined {
  if (typeof v === 'string') return dateSpan(v);
  if (isObj(v) && ('start' in v || 'end' in v)) {
    const lo = typeof v.start === 'string' ? dateSpan(v.start)?.[0] : -8.64e15;
    const hi = typeof v.end === 'string' ? dateSpan(v.end)?.[1] : 8.64e15;
    return lo === undefined || hi === undefined ? undefined : [lo, hi];
  }
  return undefined;
}

/** The R4 prefix rules on ranges (target [lo, hi] against search [qlo, qhi]). */
export function rangePrefix(
  prefix: string,
  [lo, hi]: [number, number],
  [qlo, qhi]: [number, number],
  approx: number,
): boolean {
  switch (prefix) {
    case 'eq':
      return lo >= qlo && hi <= qhi;
    case 'ne':
      return !(lo >= qlo && hi <= qhi);
    case 'gt':
      return hi > qhi;
    case 'lt':
      return lo < qlo;
    case 'ge':
      return hi > qhi || (lo >= qlo && hi <= qhi);
    case 'le':
      return lo < qlo || (lo >= qlo && hi <= qhi);
    case 'sa':
      return lo > qhi;
    case 'eb':
      return hi < qlo;
    case 'ap':
      return lo <= qhi + approx && hi >= qlo - approx;
    default:
      throw new Error(`oracle: prefix ${prefix}`);
  }
}

/** Number/quantity prefixes on an exact target value; `eq` uses the implicit precision of the search value. */
export function valuePrefix(prefix: string, value: number, written: string): boolean {
  const q = Number(written);
  const [mant, exp] = written.toLowerCase().split('e');
  const decimals = (mant!.split('.')[1] ?? '').length;
  const half = 0.5 * 10 ** (Number(exp ?? 0) - decimals);
  switch (prefix) {
    case 'eq':
      return value >= q - half && value < q + half;
    case 'ne':
      return !(value >= q - half && value < q + half);
    case 'gt':
    case 'sa':
      return value > q;
    case 'lt':
    case 'eb':
      return value < q;
    case 'ge':
      return value >= q;
    case 'le':
      return value <= q;
    case 'ap':
      return value >= q - Math.abs(q) * 0.1 && value <= q + Math.abs(q) * 0.1;
    default:
      throw new Error(`oracle: prefix ${prefix}`);
  }
}

export function splitPrefixOracle(v: string): [string, string] {
  const p = v.slice(0, 2);
  return ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'].includes(p) && /^[a-z]{2}[-+\d.]/.test(v)
    ? [p, v.slice(2)]
    : ['eq', v];
}

export function quantityMatches(v: unknown, search: string): boolean {
  if (!isObj(v) || typeof v.value !== 'number') return false;
  const [num, system, code] = search.split('|');
  const [prefix, written] = splitPrefixOracle(num!);
  if (system === UCUM && code) {
    if (v.system !== UCUM || typeof v.code !== 'string') return false;
    const converted = convertUcum(v.value, v.code, code);
    return converted !== undefined && valuePrefix(prefix, converted, written);
  }
  if (system && v.system !== system) return false;
  if (code && v.code !== code && !(system === undefined || system === '' ? v.unit === code : false)) return false;
  return valuePrefix(prefix, v.value, written);
}

/** `Type/id` of a reference value (relative, or absolute on `base`), or its URL. */
export function referenceOf(
  v: unknown,
  base: string,
): { type?: string; id?: string; url?: string; identifier?: { system?: string; value?: string } } {
  const ref = typeof v === 'string' ? v : isObj(v) && typeof v.reference === 'string' ? v.reference : undefined;
  const identifier =
    isObj(v) && isObj(v.identifier) ? (v.identifier as { system?: string; value?: string }) : undefined;
  if (!ref) return { identifier };
  const local = ref.startsWith(base + '/') ? ref.slice(base.length + 1) : ref;
  const m = /^([A-Z][A-Za-z]+)\/([^/]+)$/.exec(local);
  return m ? { type: m[1], id: m[2], identifier } : { url: ref, identifier };
}
