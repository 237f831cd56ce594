/**
 * Rewrites every `reference` in a resource (nested, in extensions, in contained resources) through a
 * resolver: `urn:uuid:…` and fullUrls of other entries become `Type/id`; conditional references
 * (`Practitioner?identifier=…`) are resolved by search. Returns a rewritten copy (copy-on-write: unchanged
 * objects are shared with the input) and leaves its input untouched (a transaction retried after a version
 * conflict plans again from the same entries); each distinct reference is resolved once, in document order.
 */
import { copyNumberTexts } from '../../json/number-texts.js';

export type ReferenceResolver = (reference: string) => Promise<string | undefined>;

export async function rewriteReferences<T>(value: T, resolve: ReferenceResolver): Promise<T> {
  const references = new Set<string>();
  collectReferences(value, references);
  const replacements = new Map<string, string>();
  for (const reference of references) {
    const replacement = await resolve(reference);
    if (replacement !== undefined) replacements.set(reference, replacement);
  }
  return copyWith(value, replacements) as T;
}

/** Every reference string in a value (nested, extensions, contained resources), local `#` ones left out. */
export function referencesIn(value: unknown): Set<string> {
  const references = new Set<string>();
  collectReferences(value, references);
  return references;
}

function isRewritable(key: string, child: unknown): child is string {
  return key === 'reference' && typeof child === 'string' && !child.startsWith('#');
}

function collectReferences(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) collectReferences(item, into);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const child = record[key];
    if (isRewritable(key, child)) into.add(child);
    else if (child !== null && typeof child === 'object') collectReferences(child, into);
  }
}

/**
 * `value` with the references replaced, copy-on-write: an object or array is copied only when something under
 * it changes, everything else is shared with the input (which is never mutated). A transaction of thousands of
 * entries then holds one copy of its resources, not two (only the paths down to rewritten references are new).
 */
function copyWith(value: unknown, replacements: Map<string, string>): unknown {
  if (replacements.size === 0) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const copy = item !== null && typeof item === 'object' ? copyWith(item, replacements) : item;
      if (copy !== item && out === undefined) out = copyNumberTexts(value, value.slice(0, i));
      if (out !== undefined) out.push(copy);
    }
    return out ?? value;
  }
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key in record) {
    const child = record[key];
    const copy = isRewritable(key, child)
      ? (replacements.get(child) ?? child)
      : child !== null && typeof child === 'object'
        ? copyWith(child, replacements)
        : child;
    if (out === undefined) {
      if (copy === child) continue;
      out = copyNumberTexts(record, {}); // a decimal's text as written stays with its copied holder
      for (const earlier in record) {
        if (earlier === key) break;
        setOwn(out, earlier, record[earlier]); // unchanged: shared
      }
    }
    setOwn(out, key, copy);
  }
  return out ?? value;
}

function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__')
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
}

/** `Practitioner?identifier=…` (a type followed by search criteria). */
export function isConditionalReference(reference: string): boolean {
  return /^[A-Z][A-Za-z]+\?./.test(reference);
}
