/**
 * `_summary` and `_elements`: returns a trimmed copy of a resource, keeping the mandatory elements and
 * tagging it SUBSETTED (R4 §3.1.1.5.7–8). Which elements are "summary" and which mandatory comes from
 * the R4 StructureDefinitions (isSummary, min > 0), read once on first use.
 */
import { readFileSync } from 'node:fs';
import type { Resource } from '@medplum/fhirtypes';
import type { SummaryElements } from './summary-elements.generate.js';
import type { SummaryMode } from './parse-result-params.js';
import { copyNumberTexts } from '../../json/number-texts.js';

export const SUBSETTED_TAG = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  code: 'SUBSETTED',
  display: 'subsetted',
} as const;

type TypeElements = { summary: Set<string>; mandatory: Set<string> };
let elementsByType: Map<string, TypeElements> | undefined;

/** From summary-elements.json (generated from the R4 StructureDefinitions by summary-elements.generate.ts). */
function typeElements(resourceType: string): TypeElements {
  if (!elementsByType) {
    const data = JSON.parse(
      readFileSync(new URL('./summary-elements.json', import.meta.url), 'utf8'),
    ) as SummaryElements;
    elementsByType = new Map(
      Object.entries(data).map(([type, e]) => [type, { summary: new Set(e.summary), mandatory: new Set(e.mandatory) }]),
    );
  }
  return elementsByType.get(resourceType) ?? { summary: new Set(['id', 'meta']), mandatory: new Set() };
}

/** The element name a JSON key belongs to (`_status` → status, `valueQuantity` → value when `value` is a choice). */
function elementOf(key: string, known: Set<string>): string {
  const bare = key.startsWith('_') ? key.slice(1) : key;
  if (known.has(bare)) return bare;
  for (const name of known) if (bare.startsWith(name) && /^[A-Z]/.test(bare.slice(name.length))) return name;
  return bare;
}

function pick(resource: Resource, keep: Set<string>): Resource {
  const out: Record<string, unknown> = copyNumberTexts(resource, { resourceType: resource.resourceType });
  for (const [key, value] of Object.entries(resource)) {
    if (key === 'resourceType') continue;
    if (keep.has(elementOf(key, keep))) out[key] = value;
  }
  return out as unknown as Resource;
}

function tagged(resource: Resource): Resource {
  const meta = { ...(resource.meta ?? {}) };
  meta.tag = [
    ...(meta.tag ?? []).filter((t) => !(t.system === SUBSETTED_TAG.system && t.code === SUBSETTED_TAG.code)),
    { ...SUBSETTED_TAG },
  ];
  return { ...resource, meta };
}

/** Applies `_summary` (true/text/data; false and count leave it whole) and `_elements`. */
export function shapeResource(
  resource: Resource,
  summary: SummaryMode | undefined,
  elements: string[] | undefined,
): Resource {
  const { summary: summaryNames, mandatory } = typeElements(resource.resourceType);
  switch (summary) {
    case 'true':
      return tagged(pick(resource, new Set([...summaryNames, ...mandatory, 'id', 'meta'])));
    case 'text':
      return tagged(pick(resource, new Set(['id', 'meta', 'text', ...mandatory])));
    case 'data': {
      const { text: _text, ...rest } = resource as Resource & { text?: unknown };
      return tagged(rest);
    }
    case 'false':
    case 'count':
    case undefined:
      break;
  }
  if (elements && elements.length > 0) {
    return tagged(pick(resource, new Set([...elements, ...mandatory, 'id', 'meta'])));
  }
  return resource;
}
