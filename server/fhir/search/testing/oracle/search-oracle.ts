/**
 * TEST ORACLE: which of the loaded resources a FHIR search should return, computed from the raw
 * SearchParameter FHIRPath (fhirpath.js) and the R4 matching rules in oracle-match.ts — never from
 * the production parser, index entries or store. Also gives sort values, include targets and
 * patient-compartment membership for checking those features.
 */
import type { Resource } from '@medplum/fhirtypes';
import { evaluate, oracleParam, patientCompartmentParams } from './oracle-params.js';
import {
  dateSpan,
  dateSpanOf,
  fold,
  quantityMatches,
  rangePrefix,
  referenceOf,
  splitPrefixOracle,
  stringsOf,
  tokensOf,
  valuePrefix,
} from './oracle-match.js';

const RESULT = new Set([
  '_sort',
  '_count',
  '_total',
  '_summary',
  '_elements',
  '_include',
  '_revinclude',
  '_cursor',
  '_type',
  '_format',
  '_pretty',
]);

function splitUnescaped(v: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < v.length; i++) {
    if (v[i] === '\\' && i + 1 < v.length) {
      cur += v[i]! + v[i + 1]!;
      i++;
    } else if (v[i] === sep) {
      out.push(cur);
      cur = '';
    } else cur += v[i];
  }
  out.push(cur);
  return out;
}
const unescape = (v: string) => v.replace(/\\([,|$\\])/g, '$1');

export class SearchOracle {
  private byKey = new Map<string, Resource>();
  constructor(
    resources: Resource[],
    private readonly base: string,
    private readonly now = Date.now(),
  ) {
    for (const r of resources) this.add(r);
  }
  add(r: Resource): void {
    this.byKey.set(`${r.resourceType}/${r.id}`, r);
  }
  get(key: string): Resource | undefined {
    return this.byKey.get(key);
  }
  all(types: string[] = []): Resource[] {
    return [...this.byKey.values()].filter((r) => types.length === 0 || types.includes(r.resourceType));
  }

  /** Keys (`Type/id`) of the resources of `types` matching every filter parameter in `params`. */
  search(types: string[], params: Array<[string, string]>): string[] {
    const filters = params.filter(([n]) => !RESULT.has(n.split(':')[0]!));
    const typeParam = params.find(([n]) => n === '_type');
    if (types.length === 0 && typeParam) types = typeParam[1].split(',');
    return this.all(types)
      .filter((r) => filters.every(([n, v]) => this.matches(r, n, v)))
      .map((r) => `${r.resourceType}/${r.id}`)
      .sort();
  }

  matches(r: Resource, name: string, value: string): boolean {
    if (name.startsWith('_has:')) {
      const [, type, param, ...rest] = name.split(':');
      return this.all([type!]).some(
        (src) =>
          this.refs(src, param!).some((k) => k === `${r.resourceType}/${r.id}`) &&
          this.matches(src, rest.join(':'), value),
      );
    }
    const dot = name.indexOf('.');
    if (dot > 0) {
      const [code, typeMod] = name.slice(0, dot).split(':');
      return this.refs(r, code!).some((key) => {
        const target = this.byKey.get(key);
        return (
          !!target && (!typeMod || target.resourceType === typeMod) && this.matches(target, name.slice(dot + 1), value)
        );
      });
    }
    const [code, modifier] = name.split(':') as [string, string | undefined];
    const ors = splitUnescaped(value, ',');
    if (code === '_id') return ors.map(unescape).includes(r.id!);
    if (code === '_lastUpdated') {
      const t = Date.parse(r.meta!.lastUpdated!);
      return ors.some((q) => this.dateTest([[t, t]], q));
    }
    const param = oracleParam(r.resourceType, code);
    if (!param) throw new Error(`oracle: no parameter ${code} on ${r.resourceType}`);
    const values = evaluate(r, param.expression);
    if (modifier === 'missing') {
      // a composite tuple exists when every component has a searchable value (a token needs a code)
      const searchable = (type: string, vs: unknown[]) =>
        type === 'token' ? vs.flatMap(tokensOf).some((t) => t.code !== undefined) : vs.length > 0;
      const present =
        param.type === 'composite'
          ? values.some((item) =>
              param.components!.every((c) => searchable(c.param.type, evaluate(item, c.expression))),
            )
          : values.length > 0;
      return present !== (value === 'true');
    }
    if (param.type === 'composite') {
      return ors.some((q) => {
        const parts = splitUnescaped(q, '$');
        return values.some((item) =>
          param.components!.every((c, i) =>
            this.valueTest(c.param.type, c.param.targets, evaluate(item, c.expression), undefined, parts[i]!),
          ),
        );
      });
    }
    if (param.type === 'token' && modifier === 'not')
      return !ors.some((q) => this.valueTest('token', [], values, undefined, q));
    return ors.some((q) => this.valueTest(param.type, param.targets, values, modifier, q));
  }

  private dateTest(spans: Array<[number, number]>, raw: string): boolean {
    const [prefix, rest] = splitPrefixOracle(raw);
    const q = dateSpan(rest)!;
    const approx = Math.abs(this.now - (q[0] + q[1]) / 2) * 0.1;
    return spans.some((s) => rangePrefix(prefix, s, q, approx));
  }

  private valueTest(
    type: string,
    targets: string[],
    values: unknown[],
    modifier: string | undefined,
    raw: string,
  ): boolean {
    switch (type) {
      case 'string': {
        const q = unescape(raw);
        const all = values.flatMap(stringsOf);
        if (modifier === 'exact') return all.some((s) => s === q);
        if (modifier === 'contains') return all.some((s) => fold(s).includes(fold(q)));
        return all.some((s) => fold(s).startsWith(fold(q)));
      }
      case 'token': {
        const tokens = values.flatMap(tokensOf);
        if (modifier === 'text')
          return tokens.some((t) => t.text !== undefined && fold(t.text).startsWith(fold(unescape(raw))));
        const parts = splitUnescaped(raw, '|').map(unescape);
        if (modifier === 'of-type') {
          return tokens.some(
            (t) =>
              t.code === parts[2] && (t.typeCodings ?? []).some((c) => c.system === parts[0] && c.code === parts[1]),
          );
        }
        if (parts.length === 1) return tokens.some((t) => t.code === parts[0]);
        const [system, code] = parts as [string, string];
        if (system === '') return tokens.some((t) => t.code === code && t.system === undefined);
        if (code === '') return tokens.some((t) => t.system === system);
        return tokens.some((t) => t.system === system && t.code === code);
      }
      case 'date':
        return this.dateTest(
          values.map(dateSpanOf).filter((s): s is [number, number] => !!s),
          raw,
        );
      case 'number': {
        const [prefix, written] = splitPrefixOracle(raw);
        return values.some((v) => typeof v === 'number' && valuePrefix(prefix, v, written));
      }
      case 'quantity':
        return values.some((v) => quantityMatches(v, raw));
      case 'reference': {
        const q = unescape(raw);
        const refs = values.map((v) => referenceOf(v, this.base));
        if (modifier === 'identifier') {
          const [system, value] = q.includes('|') ? q.split('|') : [undefined, q];
          return refs.some((ref) => ref.identifier?.value === value && (!system || ref.identifier?.system === system));
        }
        const target = /^[A-Za-z0-9\-.]+$/.test(q) ? {} : referenceOf({ reference: q }, this.base);
        if (target.url) return refs.some((ref) => ref.url === target.url);
        if (target.type) return refs.some((ref) => ref.type === target.type && ref.id === target.id);
        const typeMod = modifier ?? (targets.length === 1 ? targets[0] : undefined);
        return refs.some((ref) => ref.id === q && (!typeMod || ref.type === typeMod));
      }
      case 'uri': {
        const q = unescape(raw);
        const uris = values.filter((v): v is string => typeof v === 'string');
        if (modifier === 'above') return uris.some((u) => q.startsWith(u));
        if (modifier === 'below') return uris.some((u) => u.startsWith(q));
        return uris.includes(q);
      }
      default:
        throw new Error(`oracle: type ${type}`);
    }
  }

  /** Local `Type/id` keys a reference parameter of `r` points at. */
  refs(r: Resource, code: string): string[] {
    const param = oracleParam(r.resourceType, code);
    if (!param) return [];
    return evaluate(r, param.expression)
      .map((v) => referenceOf(v, this.base))
      .filter((x) => x.type && x.id)
      .map((x) => `${x.type}/${x.id}`);
  }

  /** Every reference parameter code of a type that the R4 definitions give (for `_include=T:*`). */
  referenceCodes(r: Resource, codes: string[]): string[] {
    return codes.flatMap((c) => this.refs(r, c));
  }

  /** Members of the compartment Patient/id per the R4 CompartmentDefinition (the Patient included). */
  inPatientCompartment(r: Resource, patientId: string): boolean {
    if (r.resourceType === 'Patient') {
      if (r.id === patientId) return true;
    }
    return patientCompartmentParams(r.resourceType).some((p) => this.refs(r, p).includes(`Patient/${patientId}`));
  }

  /** The value a resource sorts by for `code` (smallest ascending, largest descending), or null. */
  sortValue(r: Resource, code: string, descending: boolean): string | number | null {
    if (code === '_id') return r.id!;
    if (code === '_lastUpdated') return Date.parse(r.meta!.lastUpdated!);
    const param = oracleParam(r.resourceType, code)!;
    const values = evaluate(r, param.expression);
    let keys: Array<string | number> = [];
    switch (param.type) {
      case 'string':
        keys = values.flatMap(stringsOf).map(fold);
        break;
      case 'token':
        keys = values.flatMap(tokensOf).flatMap((t) => (t.code ? [t.code] : []));
        break;
      case 'date':
        keys = values.map(dateSpanOf).flatMap((s) => (s ? [descending ? s[1] : s[0]] : []));
        break;
      case 'number':
        keys = values.filter((v): v is number => typeof v === 'number');
        break;
      case 'quantity':
        keys = values.flatMap((v) =>
          typeof (v as { value?: unknown }).value === 'number' ? [(v as { value: number }).value] : [],
        );
        break;
      case 'reference':
        keys = values
          .map((v) => referenceOf(v, this.base))
          .flatMap((x) => (x.type ? [`${x.type}/${x.id}`] : x.url ? [x.url] : []));
        break;
      case 'uri':
        keys = values.filter((v): v is string => typeof v === 'string');
        break;
    }
    if (keys.length === 0) return null;
    keys.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return descending ? keys.at(-1)! : keys[0]!;
  }
}
