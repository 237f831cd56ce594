/**
 * Rewrites every `reference` in a resource (nested, in extensions, in contained resources) through a
 * resolver: `urn:uuid:…` and fullUrls of other entries become `Type/id`; conditional references
 * (`Practitioner?identifier=…`) are resolved by search. Returns a rewritten deep copy and leaves its input
 * untouched (a transaction retried after a version conflict plans again from the same entries); each
 * distinct reference is resolved once, in document order.
 */
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

/** A deep copy of JSON `value` with the references replaced. */
function copyWith(value: unknown, replacements: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => copyWith(item, replacements));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in record) {
    const child = record[key];
    const copy = isRewritable(key, child) ? (replacements.get(child) ?? child) : child !== null && typeof child === 'object' ? copyWith(child, replacements) : child;
    if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
    else out[key] = copy;
  }
  return out;
}

/** `Practitioner?identifier=…` (a type followed by search criteria). */
export function isConditionalReference(reference: string): boolean {
  return /^[A-Z][A-Za-z]+\?./.test(reference);
}
