/**
 * ValueSet expansion: compose.include / exclude (explicit concepts, filters, whole code systems, other value sets)
 * over the code systems Terminology finds, then the text filter and paging of $expand. A value set that is exactly
 * one code system (optionally below one code) is paged by the code system itself, so that a large, store-backed code
 * system is never read whole; anything else is computed whole (bounded by what a source agrees to enumerate).
 */
import { randomUUID } from 'node:crypto';
import type {
  ValueSet,
  ValueSetComposeInclude,
  ValueSetExpansionContains,
  ValueSetExpansionParameter,
} from '@medplum/fhirtypes';
import { matchesWords, filterWords, type Concept, type ConceptSource } from './concept-source.js';
import { codesOfFilter } from './compose-filter.js';
import type { Terminology } from './terminology.js';
import { splitCanonical } from './spec-terminology.js';
import { TerminologyError } from './terminology-error.js';

export type ExpandOptions = {
  /** Text filter ($expand `filter`). */
  filter?: string;
  offset?: number;
  /** Page size; undefined = everything. */
  count?: number;
  activeOnly?: boolean;
  /** `system|version` defaults for code systems named without a version (system-version). */
  systemVersions?: ReadonlyMap<string, string>;
  /** `system|version` overriding any version (force-system-version). */
  forceSystemVersions?: ReadonlyMap<string, string>;
  now?: Date;
};

export type ExpansionEntry = {
  system: string;
  version?: string;
  code: string;
  display?: string;
  abstract?: boolean;
  inactive?: boolean;
};

/** Beyond this many codes an unpaged expansion is refused (too-costly): ask with a count, or a filter. */
export const MAX_EXPANSION = 20_000;

type Run = { term: Terminology; options: ExpandOptions; seen: Set<string>; used: Map<string, string | undefined> };

export async function expandValueSet(term: Terminology, vs: ValueSet, options: ExpandOptions = {}): Promise<ValueSet> {
  const offset = options.offset ?? 0;
  const run: Run = { term, options, seen: new Set(vs.url ? [vs.url] : []), used: new Map() };
  let page: ExpansionEntry[];
  let total: number | undefined;
  const paged = await pagedBySource(run, vs, offset);
  if (paged) {
    ({ page, total } = paged);
  } else {
    const words = filterWords(options.filter);
    const all = (await entriesOf(run, vs)).filter(
      (e) => matchesWords(e, words) && (!options.activeOnly || !e.inactive),
    );
    if (options.count === undefined && all.length > MAX_EXPANSION)
      throw new TerminologyError(
        'too-costly',
        `The expansion has ${all.length} codes (more than ${MAX_EXPANSION}): page it with count, or filter it`,
      );
    total = all.length;
    page = all.slice(offset, options.count === undefined ? undefined : offset + options.count);
  }
  const parameter: ValueSetExpansionParameter[] = [];
  if (options.filter !== undefined) parameter.push({ name: 'filter', valueString: options.filter });
  if (options.offset !== undefined) parameter.push({ name: 'offset', valueInteger: offset });
  if (options.count !== undefined) parameter.push({ name: 'count', valueInteger: options.count });
  for (const [system, version] of run.used)
    parameter.push({ name: 'used-codesystem', valueUri: version ? `${system}|${version}` : system });
  return {
    resourceType: 'ValueSet',
    ...(vs.id ? { id: vs.id } : {}),
    ...(vs.url ? { url: vs.url } : {}),
    ...(vs.version ? { version: vs.version } : {}),
    ...(vs.name ? { name: vs.name } : {}),
    ...(vs.title ? { title: vs.title } : {}),
    status: vs.status ?? 'active',
    expansion: {
      identifier: `urn:uuid:${randomUUID()}`,
      timestamp: (options.now ?? new Date()).toISOString(),
      ...(total !== undefined ? { total } : {}),
      offset,
      ...(parameter.length > 0 ? { parameter } : {}),
      contains: page.map(toContains),
    },
  };
}

/** Every code of the value set (unfiltered, unpaged), in order, each system|code once. */
export async function entriesOf(run: Run, vs: ValueSet): Promise<ExpansionEntry[]> {
  if (!vs.compose) {
    if (vs.expansion?.contains) return flattenContains(vs.expansion.contains);
    throw new TerminologyError('invalid', `Value set ${vs.url ?? vs.id ?? ''} has neither compose nor expansion`);
  }
  const out = new Map<string, ExpansionEntry>();
  for (const include of vs.compose.include ?? [])
    for (const e of await includeEntries(run, include)) {
      const key = `${e.system}|${e.code}`;
      if (!out.has(key)) out.set(key, e);
    }
  for (const exclude of vs.compose.exclude ?? [])
    for (const e of await includeEntries(run, exclude)) out.delete(`${e.system}|${e.code}`);
  return [...out.values()];
}

/** A whole run for a caller outside expansion (validate-code, search modifiers, validation). */
export function newRun(term: Terminology, options: ExpandOptions = {}): Run {
  return { term, options, seen: new Set(), used: new Map() };
}

async function includeEntries(run: Run, include: ValueSetComposeInclude): Promise<ExpansionEntry[]> {
  let fromValueSets: ExpansionEntry[] | undefined;
  for (const canonical of include.valueSet ?? []) {
    const entries = await valueSetEntries(run, canonical);
    const keys = new Set(entries.map((e) => `${e.system}|${e.code}`));
    fromValueSets = fromValueSets ? fromValueSets.filter((e) => keys.has(`${e.system}|${e.code}`)) : entries;
  }
  if (!include.system) {
    if (!fromValueSets) throw new TerminologyError('invalid', 'A compose include has neither system nor valueSet');
    return fromValueSets;
  }
  const system = include.system;
  const version = versionFor(run.options, system, include.version);
  const source = await run.term.codeSystem(system, version);
  if (source) run.used.set(system, source.info.version);
  let entries: ExpansionEntry[];
  if (include.concept?.length) {
    const known = source
      ? new Map((await source.lookupMany(include.concept.map((c) => c.code))).map((c) => [c.code, c]))
      : undefined;
    entries = include.concept.map((c) => {
      const concept = known?.get(c.code);
      return entry(system, source?.info.version ?? version, {
        ...concept,
        code: c.code,
        display: c.display ?? concept?.display,
      });
    });
  } else {
    if (!source)
      throw new TerminologyError(
        'not-found',
        `Code system ${system}${version ? `|${version}` : ''} is not known to this server: the value set cannot be expanded`,
      );
    if (
      source.info.content === 'not-present' ||
      source.info.content === 'example' ||
      source.info.content === 'fragment'
    ) {
      if (!include.filter?.length && source.info.content !== 'fragment')
        throw new TerminologyError(
          'not-supported',
          `Code system ${system} is not held here in full (content ${source.info.content})`,
        );
    }
    let codes: Set<string> | undefined;
    for (const f of include.filter ?? []) {
      const selected = await codesOfFilter(source, f);
      codes = codes ? new Set([...codes].filter((c) => selected.has(c))) : selected;
    }
    const concepts = codes ? await inOrder(source, codes) : await source.all();
    entries = concepts.map((c) => entry(system, source.info.version, c));
  }
  if (!fromValueSets) return entries;
  const keys = new Set(fromValueSets.map((e) => `${e.system}|${e.code}`));
  return entries.filter((e) => keys.has(`${e.system}|${e.code}`));
}

async function valueSetEntries(run: Run, canonical: string): Promise<ExpansionEntry[]> {
  const { url, version } = splitCanonical(canonical);
  if (run.seen.has(url)) throw new TerminologyError('invalid', `Value set ${url} includes itself`);
  const vs = await run.term.valueSet(url, version);
  if (!vs) throw new TerminologyError('not-found', `Value set ${canonical} is not known to this server`);
  run.seen.add(url);
  try {
    return await entriesOf(run, vs);
  } finally {
    run.seen.delete(url);
  }
}

/** The value set is one code system, whole or below one code: page through the source itself. */
async function pagedBySource(
  run: Run,
  vs: ValueSet,
  offset: number,
): Promise<{ page: ExpansionEntry[]; total: number | undefined } | undefined> {
  const include = vs.compose?.include;
  if (!include || include.length !== 1 || vs.compose?.exclude?.length || run.options.activeOnly) return undefined;
  const only = include[0]!;
  if (!only.system || only.concept?.length || only.valueSet?.length) return undefined;
  const filters = only.filter ?? [];
  if (filters.length > 1) return undefined;
  const f = filters[0];
  if (f && !((f.op === 'is-a' || f.op === 'descendent-of') && (f.property ?? 'concept') === 'concept' && f.value))
    return undefined;
  const source = await run.term.codeSystem(only.system, versionFor(run.options, only.system, only.version));
  if (!source || (source.info.content !== 'complete' && source.info.content !== 'not-present')) return undefined;
  run.used.set(only.system, source.info.version);
  const count = run.options.count ?? MAX_EXPANSION + 1;
  const { concepts, total } = await source.search({
    text: run.options.filter,
    ...(f ? { below: f.value, includeSelf: f.op === 'is-a' } : {}),
    offset,
    count,
  });
  if (run.options.count === undefined && (concepts.length > MAX_EXPANSION || (total ?? 0) > MAX_EXPANSION))
    throw new TerminologyError(
      'too-costly',
      `The expansion has ${total ?? 'more'} codes (more than ${MAX_EXPANSION}): page it with count, or filter it`,
    );
  return { page: concepts.map((c) => entry(only.system!, source.info.version, c)), total };
}

async function inOrder(source: ConceptSource, codes: Set<string>): Promise<Concept[]> {
  if (codes.size === 0) return [];
  const found = await source.lookupMany([...codes]);
  if (source.info.count <= MAX_EXPANSION) {
    const rank = new Map((await source.all()).map((c, i) => [c.code, i]));
    found.sort((a, b) => (rank.get(a.code) ?? 0) - (rank.get(b.code) ?? 0));
  }
  return found;
}

function versionFor(options: ExpandOptions, system: string, version: string | undefined): string | undefined {
  return options.forceSystemVersions?.get(system) ?? version ?? options.systemVersions?.get(system);
}

function entry(system: string, version: string | undefined, c: Partial<Concept> & { code: string }): ExpansionEntry {
  return {
    system,
    ...(version ? { version } : {}),
    code: c.code,
    ...(c.display !== undefined ? { display: c.display } : {}),
    ...(c.abstract ? { abstract: true } : {}),
    ...(c.inactive ? { inactive: true } : {}),
  };
}

function flattenContains(contains: ValueSetExpansionContains[], out: ExpansionEntry[] = []): ExpansionEntry[] {
  for (const c of contains) {
    if (c.system && c.code)
      out.push(
        entry(c.system, c.version, { code: c.code, display: c.display, abstract: c.abstract, inactive: c.inactive }),
      );
    if (c.contains) flattenContains(c.contains, out);
  }
  return out;
}

function toContains(e: ExpansionEntry): ValueSetExpansionContains {
  return { ...e };
}
