/**
 * What both concept tables (SQL: concept-table.ts, MongoDB: mongo-concept-table.ts) store of an uploaded concept and
 * read back: the concepts flattened depth first with their is-a parents, the rest of a concept (definition,
 * designation, property) as one detail object, and the Concept a stored row becomes.
 */
import type { CodeSystemConcept } from '@medplum/fhirtypes';
import type { Concept } from './concept-source.js';
import { TerminologyError } from './terminology-error.js';

export type ConceptRow = { concept: CodeSystemConcept; parents: string[] };
export type ConceptDetail = Omit<Concept, 'code' | 'display'>;

/** Depth first, as written; parents from nesting and from `parent` properties; a repeated code is refused. */
export function flattenConcepts(concepts: readonly CodeSystemConcept[]): ConceptRow[] {
  const rows: ConceptRow[] = [];
  const seen = new Set<string>();
  const visit = (c: CodeSystemConcept, parent: string | undefined) => {
    if (!c.code) throw new TerminologyError('invalid', 'A concept has no code');
    if (seen.has(c.code)) throw new TerminologyError('invalid', `Code "${c.code.slice(0, 80)}" appears twice`);
    seen.add(c.code);
    const parents = parent ? [parent] : [];
    for (const p of c.property ?? [])
      if (p.code === 'parent' && p.valueCode && !parents.includes(p.valueCode)) parents.push(p.valueCode);
    rows.push({ concept: c, parents });
    for (const child of c.concept ?? []) visit(child, c.code);
  };
  for (const c of concepts) visit(c, undefined);
  return rows;
}

export function detailOf(c: CodeSystemConcept): ConceptDetail | null {
  const { definition, designation, property } = c;
  if (definition === undefined && !designation && !property) return null;
  return JSON.parse(JSON.stringify({ definition, designation, property })) as ConceptDetail;
}

export function storedConcept(code: string, display: string | null | undefined, detail: ConceptDetail | null): Concept {
  const props = detail?.property ?? [];
  const flag = (name: string) => props.some((p) => p.code === name && p.valueBoolean === true);
  return {
    code,
    ...(display !== null && display !== undefined ? { display } : {}),
    ...(detail?.definition !== undefined ? { definition: detail.definition } : {}),
    ...(detail?.designation ? { designation: detail.designation } : {}),
    ...(detail?.property ? { property: detail.property } : {}),
    ...(flag('notSelectable') || flag('abstract') ? { abstract: true } : {}),
    ...(flag('inactive') ? { inactive: true } : {}),
  };
}
