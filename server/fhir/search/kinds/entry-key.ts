/** Building blocks of the entry keys each kind makes for deduplication (see SearchParamKind.entryKey). */

export const ENTRY_KEY_SEPARATOR = '\u0001';

/** A field of an entry key: null and undefined must not collide with the strings 'null' / 'undefined'. */
export function entryField(value: string | number | null | undefined): string | number {
  return value === null ? '\u0000' : value === undefined ? '\u0003' : value;
}
