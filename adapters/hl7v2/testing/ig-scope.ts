/**
 * The IG scope of an expected fact (ig-scope.json): is the element one the v2-to-FHIR IG maps, from a field this
 * message values (or, for copied values, holding this very value)? Facts outside it are FHIR-Converter's own
 * choices and are not counted in the agreement.
 */
import { readFileSync } from 'node:fs';
import type { Hl7Message } from '../parser/hl7-message.js';
import { fieldReps } from '../parser/hl7-message.js';
import { parseFieldPath } from '../mapping/field-values.js';

interface Sources {
  readonly copied?: readonly string[];
  readonly valued?: readonly string[];
  /** The values the IG's rules can give the element: assigned constants and the codes of its concept maps. */
  readonly igValues?: { readonly assigned?: readonly string[]; readonly tables?: readonly string[] };
}
const scope = JSON.parse(readFileSync(new URL('./ig-scope.json', import.meta.url), 'utf8')) as {
  elements: Record<string, Sources>;
  differences: Record<string, string>;
  anchors: Record<string, string[]>;
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

/** Why the remaining differences of an element are left (written down per element). */
export const DIFFERENCE_REASONS: Readonly<Record<string, string>> = scope.differences;

const norm = (s: string) => s.replace(/\s+/g, ' ').trim().toLowerCase();

/** Every text of a field path in the message: all segments of that type, all repetitions. */
function texts(msg: Hl7Message, path: string): string[] {
  const ref = parseFieldPath(path);
  const out: string[] = [];
  for (const seg of msg.all(ref.segment)) {
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
  const anchors = type ? scope.anchors[type] : undefined;
  if (anchors) {
    const anchored = facts.filter((f) => anchors.includes(f.slice(0, f.indexOf('='))));
    if (anchored.length > 0 && !anchored.some((f) => inIgScope(f, msg))) return [];
  }
  return facts.filter((f) => inIgScope(f, msg));
}
