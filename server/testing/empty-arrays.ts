/** The paths of every empty array in a JSON value (FHIR JSON has none: an element with no values is left out). */
export function emptyArrays(value: unknown, path = '$'): string[] {
  if (Array.isArray(value))
    return value.length === 0 ? [path] : value.flatMap((v, i) => emptyArrays(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => emptyArrays(v, `${path}.${k}`));
  return [];
}
