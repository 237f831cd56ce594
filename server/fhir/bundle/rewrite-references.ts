/**
 * Rewrites every `reference` in a resource (nested, in extensions, in contained resources) through a
 * resolver: `urn:uuid:…` and fullUrls of other entries become `Type/id`; conditional references
 * (`Practitioner?identifier=…`) are resolved by search. Pure apart from the resolver.
 */
export type ReferenceResolver = (reference: string) => Promise<string | undefined>;

export async function rewriteReferences<T>(value: T, resolve: ReferenceResolver): Promise<T> {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = await rewriteReferences(value[i], resolve);
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  for (const [key, child] of Object.entries(record)) {
    if (key === 'reference' && typeof child === 'string' && !child.startsWith('#')) {
      const replacement = await resolve(child);
      if (replacement !== undefined) record[key] = replacement;
    } else if (child !== null && typeof child === 'object') {
      record[key] = await rewriteReferences(child, resolve);
    }
  }
  return value;
}

/** `Practitioner?identifier=…` (a type followed by search criteria). */
export function isConditionalReference(reference: string): boolean {
  return /^[A-Z][A-Za-z]+\?./.test(reference);
}
