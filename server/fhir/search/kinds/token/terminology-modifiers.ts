/**
 * Token `:in`, `:not-in`, `:above` and `:below`, answered through the store's ordinary token indexes: before the
 * search is parsed (expansion is asynchronous, parsing is not), each such parameter is resolved through terminology
 * to its system|code pairs and rewritten as a plain token OR-list (`:not-in` as `:not` of that list, which holds
 * when no code of the resource is in the set). So no store compiler knows about terminology.
 *   `:in` / `:not-in`: a ValueSet canonical, expanded; `:below` / `:above`: `system|code` on a hierarchical code
 *   system, the code and its descendants / ancestors (is-a).
 * Parameters of another kind (uri `:above`/`:below`) are left as they are.
 */
import { badRequest, fhirError } from '../../../errors.js';
import { getSearchParameterInfo } from '../../../indexing/search-parameter-registry.js';
import { entriesOf, newRun } from '../../../terminology/expand.js';
import type { Terminology } from '../../../terminology/terminology.js';
import { TerminologyError } from '../../../terminology/terminology-error.js';
import { asFhirError } from '../../../terminology/terminology-context.js';
import { splitEscaped, splitOr, unescapeValue } from '../../split-values.js';

/** Beyond this many codes a modifier is refused: the OR-list would be a costly query. */
export const MAX_MODIFIER_CODES = 1000;

const MODIFIERS = new Set(['in', 'not-in', 'above', 'below']);
/** A system no resource has: the OR-list of an empty set (matches nothing; its `:not` matches everything). */
const NO_CODE = 'urn:nilecare:empty-value-set|';

type Pair = { system: string; code: string };

/** The search parameters with every terminology modifier of a token parameter resolved to a plain token list. */
export async function resolveTerminologyModifiers(
  params: Array<[string, string]>,
  resourceTypes: string[],
  term: Terminology,
): Promise<Array<[string, string]>> {
  if (!params.some(([name]) => MODIFIERS.has(name.split(':')[1] ?? ''))) return params;
  const types = resourceTypes.length > 0 ? resourceTypes : typesOf(params);
  const out: Array<[string, string]> = [];
  for (const [name, value] of params) {
    const [base, modifier, ...rest] = name.split(':');
    const isToken =
      types.length > 0 &&
      types.every((t) => getSearchParameterInfo(t, base!)?.kind === 'token') &&
      !base!.includes('.');
    if (!modifier || !MODIFIERS.has(modifier) || rest.length > 0 || !isToken) {
      out.push([name, value]);
      continue;
    }
    const pairs = await pairsOf(modifier, value, name, term);
    const list = pairs.length === 0 ? NO_CODE : pairs.map((p) => `${escape(p.system)}|${escape(p.code)}`).join(',');
    out.push([modifier === 'not-in' ? `${base}:not` : base!, list]);
  }
  return out;
}

async function pairsOf(modifier: string, value: string, label: string, term: Terminology): Promise<Pair[]> {
  const seen = new Map<string, Pair>();
  try {
    for (const raw of splitOr(value)) {
      const found = modifier === 'in' || modifier === 'not-in' ? await inValueSet(raw, label, term) : [];
      if (modifier === 'above' || modifier === 'below') found.push(...(await inHierarchy(modifier, raw, label, term)));
      for (const p of found) seen.set(`${p.system}|${p.code}`, p);
      if (seen.size > MAX_MODIFIER_CODES)
        throw fhirError(
          422,
          'too-costly',
          `${label}=${value}: more than ${MAX_MODIFIER_CODES} codes; search with a smaller value set or a narrower code`,
        );
    }
  } catch (err) {
    if (err instanceof TerminologyError) throw asFhirError(err);
    throw err;
  }
  return [...seen.values()];
}

async function inValueSet(raw: string, label: string, term: Terminology): Promise<Pair[]> {
  const canonical = unescapeValue(raw);
  if (!canonical) throw badRequest(`${label}: a value set canonical URL is needed`);
  const vs = await term.valueSet(canonical);
  if (!vs) throw badRequest(`${label}: value set '${canonical}' is unknown to this server`);
  return (await entriesOf(newRun(term), vs)).map((e) => ({ system: e.system, code: e.code }));
}

async function inHierarchy(modifier: string, raw: string, label: string, term: Terminology): Promise<Pair[]> {
  const parts = splitEscaped(raw, '|').map(unescapeValue);
  if (parts.length !== 2 || !parts[0] || !parts[1])
    throw badRequest(`${label}: :${modifier} on a token takes system|code, not '${raw}'`);
  const [system, code] = parts as [string, string];
  const source = await term.codeSystem(system);
  if (!source) throw badRequest(`${label}: code system '${system}' is unknown to this server`);
  if (!(await source.lookup(code))) throw badRequest(`${label}: '${code}' is not a code of ${system}`);
  const related = modifier === 'below' ? await source.descendants(code) : await source.ancestors(code);
  return [code, ...related].map((c) => ({ system, code: c }));
}

function typesOf(params: Array<[string, string]>): string[] {
  return params
    .filter(([n]) => n === '_type')
    .flatMap(([, v]) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
}

function escape(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}
