/**
 * MongoDB cannot faithfully store object keys that start with `$`, contain `.` or a NUL character.
 * The REST layer rejects such JSON first; the store refuses it too rather than corrupt a resource.
 */
import { badRequest } from '../../fhir/errors.js';

export function assertStorableKeys(value: unknown, path: string): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => assertStorableKeys(item, `${path}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, child] of Object.entries(value)) {
    if (key.startsWith('$') || key.includes('.') || key.includes('\u0000')) {
      throw badRequest(
        `${path} has the JSON key ${JSON.stringify(key)}: keys starting with "$" or containing "." cannot be stored in MongoDB (and are not valid FHIR element names)`,
        [path],
      );
    }
    assertStorableKeys(child, `${path}.${key}`);
  }
}
