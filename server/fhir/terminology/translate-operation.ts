/**
 * ConceptMap/$translate (type and instance level): the targets a concept map gives for a code — the map named by
 * instance, `url` or the body (`conceptMap`), else every map whose group's source is the code's system (clients'
 * first); `target` / `targetsystem` narrow it; `reverse` reads the maps from target to source. Unmapped elements
 * follow the group's `unmapped` rule (provided / fixed).
 */
import type { Coding, ConceptMap, ConceptMapGroup, ParametersParameter } from '@medplum/fhirtypes';
import type { OperationHandler } from '../operations/operation-registry.js';
import { requireAccess } from '../fhir-context.js';
import { badRequest, notFound } from '../errors.js';
import { OperationInput } from './operation-input.js';
import { answering, terminologyFor } from './terminology-context.js';
import { instanceOf } from './target-resource.js';

export type Translation = { equivalence: string; concept: Coding; source?: string };

export const translateOperation: OperationHandler = {
  name: 'translate',
  definition: 'http://hl7.org/fhir/OperationDefinition/ConceptMap-translate',
  levels: ['type', 'instance'],
  types: ['ConceptMap'],
  methods: ['GET', 'POST'],
  handle: (ctx, request, target) =>
    answering(async () => {
      requireAccess(ctx, 'operation', 'ConceptMap');
      const input = new OperationInput(request, 'translate');
      const term = terminologyFor(ctx);
      const coding =
        input.coding('coding') ??
        input.codeableConcept('codeableConcept')?.coding?.find((c) => c.code) ??
        (input.string('code') ? { code: input.string('code'), system: input.string('system') } : undefined);
      if (!coding?.code) throw badRequest('$translate needs a code (code + system, coding or codeableConcept)');
      const reverse = input.boolean('reverse') ?? false;
      const targetSystem = input.string('targetsystem');
      let maps: ConceptMap[];
      const named =
        (await instanceOf<ConceptMap>(ctx, target)) ?? input.resource<ConceptMap>('conceptMap', 'ConceptMap');
      if (named) maps = [named];
      else if (input.string('url')) {
        const map = await term.conceptMap(input.string('url')!, input.string('conceptMapVersion'));
        if (!map) throw notFound(`Concept map ${input.string('url')} is not known to this server`);
        maps = [map];
      } else {
        if (!coding.system) throw badRequest('$translate without a concept map needs the system of the code');
        if (reverse) throw badRequest('$translate with reverse needs the concept map (url, conceptMap or an instance)');
        maps = await term.conceptMapsFrom(coding.system);
      }
      const wantedTarget = input.string('target');
      if (wantedTarget) maps = maps.filter((m) => (m.targetUri ?? m.targetCanonical) === wantedTarget || named);
      const matches: Translation[] = [];
      for (const map of maps) matches.push(...translate(map, coding, { reverse, targetSystem }));
      const result = matches.some((m) => !['unmatched', 'disjoint'].includes(m.equivalence));
      const parameter: ParametersParameter[] = [{ name: 'result', valueBoolean: result }];
      if (!result)
        parameter.push({
          name: 'message',
          valueString: `No mapping for ${coding.system ?? ''}|${coding.code} in ${maps.length} concept map(s)`,
        });
      for (const m of matches)
        parameter.push({
          name: 'match',
          part: [
            { name: 'equivalence', valueCode: m.equivalence },
            ...(m.concept.code ? [{ name: 'concept', valueCoding: m.concept }] : []),
            ...(m.source ? [{ name: 'source', valueUri: m.source }] : []),
          ],
        });
      return { status: 200, resource: { resourceType: 'Parameters', parameter } };
    }),
};

/** The matches one concept map gives for a coding. */
export function translate(
  map: ConceptMap,
  coding: Coding,
  options: { reverse?: boolean; targetSystem?: string } = {},
): Translation[] {
  const out: Translation[] = [];
  const source = map.url ? `${map.url}${map.version ? `|${map.version}` : ''}` : undefined;
  for (const group of map.group ?? []) {
    const [from, to] = options.reverse ? [group.target, group.source] : [group.source, group.target];
    if (coding.system && from && from !== coding.system) continue;
    if (options.targetSystem && to && to !== options.targetSystem) continue;
    const found = options.reverse ? reverseMatches(group, coding.code!) : forwardMatches(group, coding.code!);
    if (found.length === 0) {
      const fallback = unmapped(group, coding.code!);
      if (fallback) out.push({ ...fallback, ...(source ? { source } : {}) });
      continue;
    }
    for (const f of found)
      out.push({
        equivalence: f.equivalence ?? 'equivalent',
        concept: {
          ...(to ? { system: to } : {}),
          ...(f.code ? { code: f.code } : {}),
          ...(f.display ? { display: f.display } : {}),
        },
        ...(source ? { source } : {}),
      });
  }
  return out;
}

type Hit = { code?: string; display?: string; equivalence?: string };

function forwardMatches(group: ConceptMapGroup, code: string): Hit[] {
  return (group.element ?? [])
    .filter((e) => e.code === code)
    .flatMap((e) => (e.target ?? []).map((t) => ({ code: t.code, display: t.display, equivalence: t.equivalence })));
}

function reverseMatches(group: ConceptMapGroup, code: string): Hit[] {
  const hits: Hit[] = [];
  for (const e of group.element ?? [])
    for (const t of e.target ?? [])
      if (t.code === code) hits.push({ code: e.code, display: e.display, equivalence: t.equivalence });
  return hits;
}

function unmapped(group: ConceptMapGroup, code: string): Translation | undefined {
  const u = group.unmapped;
  if (!u) return undefined;
  if (u.mode === 'provided')
    return { equivalence: 'equal', concept: { ...(group.target ? { system: group.target } : {}), code } };
  if (u.mode === 'fixed' && u.code)
    return {
      equivalence: 'equivalent',
      concept: {
        ...(group.target ? { system: group.target } : {}),
        code: u.code,
        ...(u.display ? { display: u.display } : {}),
      },
    };
  return undefined;
}
