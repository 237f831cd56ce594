/**
 * Whether one system|code is in a value set, decided include by include without expanding the value set: explicit
 * concept lists, filters checked on the one concept (passesFilter), whole code systems by a lookup, other value sets
 * recursively; an exclude that holds the code wins. Scales to value sets over large code systems.
 */
import type { ValueSet, ValueSetComposeInclude, ValueSetExpansionContains } from '@medplum/fhirtypes';
import type { Terminology } from './terminology.js';
import type { ExpandOptions, ExpansionEntry } from './expand.js';
import { passesFilter } from './compose-filter.js';
import { splitCanonical } from './spec-terminology.js';
import { TerminologyError } from './terminology-error.js';

/** The entry of the value set holding system|code (no system: any system), or undefined. */
export async function findInValueSet(
  term: Terminology,
  vs: ValueSet,
  system: string | undefined,
  code: string,
  options: ExpandOptions = {},
  seen: Set<string> = new Set(),
): Promise<ExpansionEntry | undefined> {
  if (!vs.compose) {
    if (!vs.expansion?.contains)
      throw new TerminologyError('invalid', `Value set ${vs.url ?? vs.id ?? ''} has neither compose nor expansion`);
    return findInContains(vs.expansion.contains, system, code);
  }
  if (vs.url) seen = new Set([...seen, vs.url]);
  let found: ExpansionEntry | undefined;
  for (const include of vs.compose.include ?? []) {
    found = await inInclude(term, include, system, code, options, seen);
    if (found) break;
  }
  if (!found) return undefined;
  for (const exclude of vs.compose.exclude ?? [])
    if (await inInclude(term, exclude, found.system, found.code, options, seen)) return undefined;
  return found;
}

async function inInclude(
  term: Terminology,
  include: ValueSetComposeInclude,
  system: string | undefined,
  code: string,
  options: ExpandOptions,
  seen: Set<string>,
): Promise<ExpansionEntry | undefined> {
  if (include.system && system !== undefined && include.system !== system) return undefined;
  let viaValueSets: ExpansionEntry | undefined;
  for (const canonical of include.valueSet ?? []) {
    const { url, version } = splitCanonical(canonical);
    if (seen.has(url)) throw new TerminologyError('invalid', `Value set ${url} includes itself`);
    const other = await term.valueSet(url, version);
    if (!other) throw new TerminologyError('not-found', `Value set ${canonical} is not known to this server`);
    const hit = await findInValueSet(term, other, include.system ?? system, code, options, seen);
    if (!hit) return undefined;
    viaValueSets ??= hit;
  }
  if (!include.system) return viaValueSets;
  const inSystem = include.system;
  const version =
    options.forceSystemVersions?.get(inSystem) ?? include.version ?? options.systemVersions?.get(inSystem);
  const source = await term.codeSystem(inSystem, version);
  const listed = include.concept?.find((c) => c.code === code);
  if (include.concept?.length) {
    if (!listed) return undefined;
    const concept = await source?.lookup(code);
    if (source && source.info.content === 'complete' && !concept) return undefined;
    const display = listed.display ?? concept?.display;
    return {
      system: inSystem,
      code,
      ...(display !== undefined ? { display } : {}),
      ...(concept?.abstract ? { abstract: true } : {}),
    };
  }
  if (!source)
    throw new TerminologyError(
      'not-found',
      `Code system ${inSystem}${version ? `|${version}` : ''} is not known to this server`,
    );
  const concept = await source.lookup(code);
  if (!concept) return undefined;
  for (const f of include.filter ?? []) if (!(await passesFilter(source, f, concept))) return undefined;
  return {
    system: inSystem,
    ...(source.info.version ? { version: source.info.version } : {}),
    code: concept.code,
    ...(concept.display !== undefined ? { display: concept.display } : {}),
    ...(concept.abstract ? { abstract: true } : {}),
    ...(concept.inactive ? { inactive: true } : {}),
  };
}

function findInContains(
  contains: ValueSetExpansionContains[],
  system: string | undefined,
  code: string,
): ExpansionEntry | undefined {
  for (const c of contains) {
    if (c.code === code && c.system && (system === undefined || c.system === system))
      return {
        system: c.system,
        code,
        ...(c.display !== undefined ? { display: c.display } : {}),
        ...(c.abstract ? { abstract: true } : {}),
      };
    const nested = c.contains && findInContains(c.contains, system, code);
    if (nested) return nested;
  }
  return undefined;
}
