/**
 * A snapshot for a profile that only carries a differential (most hand-written profiles and IG sources): the
 * base definition's snapshot with each differential element merged in — constraints on existing elements,
 * choice renames (`valueQuantity` → `value[x]` restricted to Quantity), slices (inserted after the sliced
 * element's group) and their children, and elements inside data types (taken from the data type's definition).
 * It covers what @medplum/core's validator reads; it is not a full IG-publisher snapshot generator.
 */
import type { ElementDefinition, StructureDefinition } from '@medplum/fhirtypes';
import { forEachDefinitionEntry } from './definition-files.js';

/** Smallest first: most look-ups (data types, core profiles) never read the 35 MB resources file. */
const CORE_FILES = [
  'fhir/r4/profiles-types.json',
  'fhir/r4/profiles-others.json',
  'fhir/r4/profiles-resources.json',
] as const;
const CORE_PREFIX = 'http://hl7.org/fhir/StructureDefinition/';
/** The core definitions looked up so far (null: not a core definition). Only these are kept in memory. */
const core = new Map<string, StructureDefinition | null>();

/**
 * A core R4 StructureDefinition (resource, data type or core profile such as vitalsigns) by canonical URL.
 * The definition files are read when a definition is first asked for and only that definition is kept: @medplum/core
 * already holds the parsed R4 definitions, and a second full copy of the JSON would cost ~60 MB of heap.
 */
export function coreDefinition(url: string): StructureDefinition | undefined {
  const [key = ''] = url.split('|'); // split always yields at least one part
  if (!key.startsWith(CORE_PREFIX)) return undefined;
  const cached = core.get(key);
  if (cached !== undefined) return cached ?? undefined;
  let found: StructureDefinition | null = null;
  for (const file of CORE_FILES) {
    if (urlsIn.get(file)?.has(key) === false) continue;
    const urls = new Set<string>();
    forEachDefinitionEntry(file, (r) => {
      if (r.resourceType !== 'StructureDefinition' || !r.url) return;
      urls.add(r.url);
      if (r.url === key) found = r;
    });
    urlsIn.set(file, urls);
    if (found) break;
  }
  core.set(key, found);
  return found ?? undefined;
}
/** The URLs each file holds, once read (so that a miss does not read the files again). */
const urlsIn = new Map<string, Set<string>>();

/**
 * The profile with a snapshot (the profile itself when it already has one); undefined when its base cannot be
 * found. `lookup` resolves other profiles (a base that is itself a profile).
 */
export function withSnapshot(
  sd: StructureDefinition,
  lookup: (url: string) => StructureDefinition | undefined,
): StructureDefinition | undefined {
  if (sd.snapshot?.element?.length) return sd;
  if (!sd.baseDefinition || !sd.differential?.element?.length) return undefined;
  const baseSd = lookup(sd.baseDefinition) ?? coreDefinition(sd.baseDefinition);
  const base = baseSd && baseSd !== sd ? withSnapshot(baseSd, lookup) : undefined;
  if (!base?.snapshot?.element?.length) return undefined;
  const elements = structuredClone(base.snapshot.element);
  for (const diff of sd.differential.element) applyDifferential(elements, diff);
  return { ...sd, snapshot: { element: elements } };
}

function applyDifferential(elements: ElementDefinition[], diff: ElementDefinition): void {
  const root = elements[0]!; // withSnapshot only applies a differential to a non-empty snapshot
  const rootPath = root.path ?? '';
  const path = normalisePath(elements, diff.path ?? '');
  const id = normaliseId(diff.id ?? path, diff.path ?? '', path);
  const choiceType = path !== diff.path ? choiceTypeOf(diff.path ?? '', path) : undefined;
  if (path === rootPath && !diff.sliceName) {
    merge(root, diff, undefined);
    return;
  }
  if (diff.sliceName) {
    const sliced = elements.find(
      (e) => e.id === id.slice(0, id.lastIndexOf(':')) || (e.path === path && !e.id?.includes(':')),
    );
    const template = sliced ?? baseElementFor(elements, path);
    if (!template) return;
    const slice: ElementDefinition = { ...structuredClone(template), id, sliceName: diff.sliceName };
    delete slice.slicing;
    inlineContentReference(slice);
    merge(slice, diff, choiceType);
    const groupId = sliced?.id ?? id.slice(0, id.lastIndexOf(':'));
    elements.splice(endOfGroup(elements, groupId), 0, slice);
    return;
  }
  const existing =
    elements.find((e) => e.id === id) ??
    (id.includes(':') ? undefined : elements.find((e) => e.path === path && !e.id?.includes(':')));
  if (existing) {
    merge(existing, diff, choiceType);
    return;
  }
  const template = baseElementFor(elements, path);
  if (!template) return;
  const element: ElementDefinition = { ...structuredClone(template), id, path };
  delete element.sliceName;
  inlineContentReference(element);
  merge(element, diff, choiceType);
  const parentId = id.slice(0, Math.max(id.lastIndexOf('.'), 0));
  elements.splice(endOfGroup(elements, parentId), 0, element);
}

function merge(target: ElementDefinition, diff: ElementDefinition, choiceType: string | undefined): void {
  for (const [key, value] of Object.entries(diff)) {
    if (key === 'id' || key === 'path' || value === undefined) continue;
    if (key === 'constraint') {
      target.constraint = [...(target.constraint ?? []), ...(value as NonNullable<ElementDefinition['constraint']>)];
    } else {
      (target as unknown as Record<string, unknown>)[key] = structuredClone(value);
    }
  }
  if (choiceType && !diff.type) {
    const kept = (target.type ?? []).filter((t) => t.code.toLowerCase() === choiceType.toLowerCase());
    target.type = kept.length ? kept : [{ code: choiceType }];
  }
}

/** A copied element that pointed at another definition (contentReference) becomes a plain backbone element. */
function inlineContentReference(element: ElementDefinition): void {
  if (!element.contentReference) return;
  delete element.contentReference;
  if (!element.type?.length) element.type = [{ code: 'BackboneElement' }];
}

/** Index after the last element belonging to the group with this id (the element, its children and slices). */
function endOfGroup(elements: ElementDefinition[], groupId: string): number {
  let last = elements.findIndex((e) => e.id === groupId);
  if (last < 0) return elements.length;
  for (let i = last + 1; i < elements.length; i++) {
    const id = elements[i]!.id ?? ''; // i < elements.length
    if (id.startsWith(`${groupId}.`) || id.startsWith(`${groupId}:`)) last = i;
    else break;
  }
  return last + 1;
}

/** The definition an element at `path` starts from: the base element itself, or the child of a data type. */
function baseElementFor(elements: ElementDefinition[], path: string): ElementDefinition | undefined {
  const own = elements.find((e) => e.path === path && !e.id?.includes(':'));
  if (own) return own;
  const segments = path.split('.');
  for (let cut = segments.length - 1; cut > 0; cut--) {
    const ancestorPath = segments.slice(0, cut).join('.');
    const ancestor = elements.find((e) => e.path === ancestorPath && !e.id?.includes(':'));
    if (!ancestor) continue;
    if (ancestor.contentReference) {
      // e.g. Parameters.parameter.part → #Parameters.parameter: look the child up under the referenced element
      const target = ancestor.contentReference.slice(ancestor.contentReference.indexOf('#') + 1);
      const found = baseElementFor(elements, [target, ...segments.slice(cut)].join('.'));
      return found ? { ...found, path } : undefined;
    }
    const types = ancestor.type ?? [];
    const [type] = types;
    if (types.length !== 1 || !type) return undefined;
    const typeSd = coreDefinition(`http://hl7.org/fhir/StructureDefinition/${type.code}`);
    const typePath = [type.code, ...segments.slice(cut)].join('.');
    const found = typeSd?.snapshot?.element?.find((e) => e.path === typePath);
    return found ? { ...found, path } : undefined;
  }
  return undefined;
}

/** `Observation.valueQuantity` → `Observation.value[x]` when the base has a choice element there. */
function normalisePath(elements: ElementDefinition[], path: string): string {
  if (elements.some((e) => e.path === path)) return path;
  const segments = path.split('.');
  for (let i = 1; i < segments.length; i++) {
    const prefix = segments.slice(0, i).join('.');
    const segment = segments[i]!; // i < segments.length
    for (let cut = segment.length - 1; cut > 0; cut--) {
      if (!/[A-Z]/.test(segment.charAt(cut))) continue;
      const candidate = `${prefix}.${segment.slice(0, cut)}[x]`;
      if (elements.some((e) => e.path === candidate)) {
        segments[i] = `${segment.slice(0, cut)}[x]`;
        break;
      }
    }
  }
  return segments.join('.');
}

function normaliseId(id: string, originalPath: string, path: string): string {
  if (originalPath === path) return id;
  const from = originalPath.split('.');
  const to = path.split('.');
  return id
    .split('.')
    .map((part, i) => (from[i] && to[i] && part.startsWith(from[i]) ? to[i] + part.slice(from[i].length) : part))
    .join('.');
}

function choiceTypeOf(originalPath: string, path: string): string | undefined {
  const original = originalPath.split('.').at(-1) ?? '';
  const choice = path.split('.').at(-1) ?? '';
  if (!choice.endsWith('[x]')) return undefined;
  const type = original.slice(choice.length - 3);
  return type ? (type.charAt(0).toLowerCase() === type.charAt(0) ? type : primitiveOrComplex(type)) : undefined;
}

/** `String` → `string`, `Quantity` → `Quantity` (primitive type codes are lower case). */
function primitiveOrComplex(type: string): string {
  const primitive = type.charAt(0).toLowerCase() + type.slice(1);
  return coreDefinition(`http://hl7.org/fhir/StructureDefinition/${primitive}`)?.kind === 'primitive-type'
    ? primitive
    : type;
}
