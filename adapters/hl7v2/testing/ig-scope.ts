/**
 * The IG scope of an expected fact (ig-scope.json): is the element one the v2-to-FHIR IG maps, from a field this
 * message values (or, for copied values, holding this very value)? Facts outside it are FHIR-Converter's own
 * choices and are not counted in the agreement.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Hl7Message, Segment } from '../parser/hl7-message.js';
import { fieldReps } from '../parser/hl7-message.js';
import { parseFieldPath } from '../mapping/field-values.js';
import { inUnmappedGroup } from '../mapping/segment-scope.js';
import { corpusPath } from '../../../server/testing/corpus.js';

interface Sources {
  readonly copied?: readonly string[];
  readonly valued?: readonly string[];
  /** The values the IG's rules can give the element: assigned constants and the codes of its concept maps. */
  readonly igValues?: { readonly assigned?: readonly string[]; readonly tables?: readonly string[] };
  /**
   * The IG's rule for this element in one message, first match wins: `{ valued, value }` gives the value when the
   * field is valued, `{ field, table }` looks the field's code up in an IG concept map. An expected value other
   * than the one the rule gives for this message is the converter's own choice.
   */
  readonly igRule?: readonly (
    { readonly valued: string; readonly value: string } | { readonly field: string; readonly table: string }
  )[];
}
const scope = JSON.parse(readFileSync(new URL('./ig-scope.json', import.meta.url), 'utf8')) as {
  elements: Record<string, Sources>;
  differences: Record<string, string>;
  anchors: Record<string, string[]>;
  /** A structure the IG has no message sheet for, judged by the sheet of the structure it repeats (OMG_O19 → OML_O21). */
  sameMessageMap?: Record<string, string>;
  /** Per type, the facts that name one resource: expected resources agreeing on all of them are one (counted once). */
  oneResource?: Record<string, string[]>;
};

const igTables = (
  JSON.parse(readFileSync(new URL('../../../mappings/code-tables/ig.json', import.meta.url), 'utf8')) as {
    tables: Record<string, Record<string, { code?: string }>>;
  }
).tables;
const igValues = new Map(
  Object.entries(scope.elements)
    .filter(([, s]) => s.igValues)
    .map(([element, s]) => [
      element,
      new Set([
        ...(s.igValues!.assigned ?? []),
        ...(s.igValues!.tables ?? []).flatMap((t) =>
          Object.values(igTables[t] ?? {}).flatMap((row) => (row.code ? [row.code] : [])),
        ),
      ]),
    ]),
);

/**
 * An expected fact whose value the IG's rules cannot give its element (e.g. intent filler-order for an order the IG
 * calls order): FHIR-Converter's own choice, not counted.
 */
export function outsideIgValues(fact: string): boolean {
  const at = fact.indexOf('=');
  const allowed = igValues.get(fact.slice(0, at));
  return !!allowed && !allowed.has(fact.slice(at + 1));
}

/** The value the IG's rule (`igRule`) gives the element for this message, if the element has a rule. */
function ruleValue(element: string, msg: Hl7Message): string | undefined {
  for (const rule of scope.elements[element]?.igRule ?? []) {
    if ('valued' in rule) {
      if (texts(msg, rule.valued).length > 0) return rule.value;
      continue;
    }
    const code = texts(msg, rule.field)[0];
    const row = code ? Object.entries(igTables[rule.table] ?? {}).find(([k]) => k.toLowerCase() === code) : undefined;
    if (row?.[1].code) return row[1].code;
  }
  return undefined;
}

/**
 * The resource types the IG's message map (its message sheets in the corpus: ADT_A01, MDM_T02, ORU_R01…) makes for
 * this message's structure; undefined when the IG has no map for it (then the segment sheets alone decide).
 */
const MESSAGE_SHEETS = join(corpusPath('hl7-v2-to-fhir'), 'mappings', 'messages');
const messageMaps: ReadonlyMap<string, ReadonlySet<string>> = new Map(
  (existsSync(MESSAGE_SHEETS) ? readdirSync(MESSAGE_SHEETS) : []).flatMap((file) => {
    const name = /R4_ (\w+) -/.exec(file)?.[1];
    if (!name) return [];
    const targets = readFileSync(join(MESSAGE_SHEETS, file), 'utf8')
      .split('\n')
      .flatMap(
        (line) =>
          /^[\d.]+,[A-Z0-9_]+\.[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,[^,]*,([A-Za-z]+)/.exec(line)?.[1] ?? [],
      );
    return [[name, new Set(targets)] as const];
  }),
);
const structureOfEvent = (
  JSON.parse(readFileSync(new URL('../../../mappings/structures.json', import.meta.url), 'utf8')) as {
    events: Record<string, string>;
  }
).events;

export function igMessageMap(msg: Hl7Message): ReadonlySet<string> | undefined {
  const msh9 = msg.first('MSH') ? texts(msg, 'MSH-9.3')[0] : undefined;
  const type = texts(msg, 'MSH-9.1')[0]?.toUpperCase();
  const event = texts(msg, 'MSH-9.2')[0]?.toUpperCase();
  const structure = structureOfEvent[`${type}^${event}`] ?? msh9?.toUpperCase();
  return structure ? messageMaps.get(scope.sameMessageMap?.[structure] ?? structure) : undefined;
}

/** Why the remaining differences of an element are left (written down per element). */
export const DIFFERENCE_REASONS: Readonly<Record<string, string>> = scope.differences;

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** Every text of a field path in the message: all segments of that type, all repetitions. */
function texts(msg: Hl7Message, path: string): string[] {
  const ref = parseFieldPath(path);
  const out: string[] = [];
  // Segments of groups the IG's message map leaves unmapped (OML/OMG PRIOR_RESULT) are no source of its facts.
  for (const seg of msg.all(ref.segment).filter((s) => !inUnmappedGroup(msg, s))) {
    for (const rep of fieldReps(seg, ref.field)) {
      const t = ref.component ? msg.text(rep, ref.component, ref.sub ?? 1) : msg.text(rep, 1);
      const whole = ref.component ? t : rep.map((c) => c.join('&')).join('^');
      if (t.trim()) out.push(norm(t), norm(whole));
      else if (!ref.component && whole.replace(/[\^&]/g, '').trim()) out.push(norm(whole));
    }
  }
  return out;
}

export function inIgScope(fact: string, msg: Hl7Message): boolean {
  const at = fact.indexOf('=');
  const element = fact.slice(0, at);
  const value = norm(fact.slice(at + 1));
  const sources = scope.elements[element];
  if (!sources || outsideIgValues(fact)) return false;
  const ruled = ruleValue(element, msg);
  if (ruled !== undefined && norm(ruled) !== value) return false;
  if (sources.valued?.some((p) => texts(msg, p).length > 0)) return true;
  const num = Number(value);
  return !!sources.copied?.some((p) =>
    texts(msg, p).some(
      (t) =>
        t === value ||
        t.includes(value) ||
        (!Number.isNaN(num) && t.split(/[^0-9.+-]+/).some((x) => x !== '' && Number(x) === num)),
    ),
  );
}

/** The IG-scoped facts of one expected resource: none when its anchor facts show it came from elsewhere. */
export function igScopedFacts(facts: readonly string[], msg: Hl7Message): string[] {
  const type = facts[0]?.slice(0, facts[0].indexOf('.'));
  if (type && igMessageMap(msg)?.has(type) === false) return [];
  const anchors = type ? scope.anchors[type] : undefined;
  if (anchors) {
    const anchored = facts.filter((f) => anchors.includes(f.slice(0, f.indexOf('='))));
    if (anchored.length > 0 && !anchored.some((f) => inIgScope(f, msg))) return [];
  }
  return facts.filter((f) => inIgScope(f, msg));
}

const elementOf = (fact: string) => fact.slice(0, fact.indexOf('='));

/**
 * How many segments hold an anchor's value in the fields its element is copied from: in mapped segments and in
 * segments of groups the IG's message map leaves unmapped (OML/OMG PRIOR_RESULT).
 */
function anchorHolders(fact: string, msg: Hl7Message): { mapped: number; unmapped: number } {
  const at = fact.indexOf('=');
  const value = norm(fact.slice(at + 1));
  const num = Number(value);
  const holders = new Set<Segment>();
  for (const path of scope.elements[fact.slice(0, at)]?.copied ?? []) {
    const ref = parseFieldPath(path);
    for (const seg of msg.all(ref.segment)) {
      for (const rep of fieldReps(seg, ref.field)) {
        const t = norm(ref.component ? msg.text(rep, ref.component, ref.sub ?? 1) : msg.text(rep, 1));
        if (
          t &&
          (t === value ||
            t.includes(value) ||
            (!Number.isNaN(num) && t.split(/[^0-9.+-]+/).some((x) => x !== '' && Number(x) === num)))
        )
          holders.add(seg);
      }
    }
  }
  const unmapped = [...holders].filter((s) => inUnmappedGroup(msg, s)).length;
  return { mapped: holders.size - unmapped, unmapped };
}

/**
 * The IG-scoped facts of a whole expected bundle (its resources in bundle order), with two rules across resources:
 * - an expected resource made of segments the IG's message map leaves unmapped (an OML/OMG PRIOR_RESULT, which
 *   FHIR-Converter maps as current) is not counted: each of its copied anchor values is held by an unmapped segment,
 *   and each mapped segment holding it is already the source of an earlier expected resource;
 * - expected resources of one type agreeing on all of the facts that name one resource (`oneResource`, e.g. two
 *   Conditions with one DG1-20 identifier and one code) are one resource: counted once.
 */
export function igScopedBundle(resources: readonly (readonly string[])[], msg: Hl7Message): string[] {
  const taken = new Map<string, number>();
  const seen = new Set<string>();
  return resources.flatMap((facts) => {
    const scoped = igScopedFacts(facts, msg);
    const type = facts[0]?.slice(0, facts[0].indexOf('.'));
    if (scoped.length === 0 || !type) return [];
    const naming = scope.oneResource?.[type];
    if (naming) {
      const key = naming.map((e) =>
        facts
          .filter((f) => elementOf(f) === e)
          .sort()
          .join('|'),
      );
      if (key.every((k) => k !== '')) {
        if (seen.has(key.join('\n'))) return [];
        seen.add(key.join('\n'));
      }
    }
    const anchors = (scope.anchors[type] ?? []).filter((e) => scope.elements[e]?.copied);
    // Anchor values no segment holds in the element's IG source fields (FHIR-Converter's ORC-4 as an identifier)
    // say nothing about where the resource came from.
    const counted = facts
      .filter((f) => anchors.includes(elementOf(f)))
      .map((f) => ({ f, ...anchorHolders(f, msg) }))
      .filter((c) => c.mapped + c.unmapped > 0);
    if (counted.length > 0 && counted.every((c) => c.unmapped > 0 && (taken.get(c.f) ?? 0) >= c.mapped)) return [];
    for (const c of counted) taken.set(c.f, (taken.get(c.f) ?? 0) + 1);
    return scoped;
  });
}
