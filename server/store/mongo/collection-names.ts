/**
 * Collection naming (schema reference, "MONGODB DATABASES": database fhir_resources with collections
 * patients, observations, encounters, conditions, medications). The one rule: the resource type in
 * lower case, in the plural. The schema keeps MedicationStatement in `medications`, so Medication
 * (which the rule would also put there) goes to `medicationcatalog`.
 */

export const DEFAULT_DB_NAME = 'fhir_resources';

/** Every version of every resource (one collection, so that system history is one ordered scan). */
export const HISTORY_COLLECTION = 'resource_history';
/** The transactional outbox: one document per committed version (change-log.ts). */
export const CHANGES_COLLECTION = 'changes';
/** The change log's last seq ({ _id: 'changes', seq }, moved by readers only) and settings (`setting:<key>`). */
export const COUNTERS_COLLECTION = 'counters';

/** Lease documents of ResourceStore.withLocks (lease-locks.ts): present only while a lock is held. */
export const LOCKS_COLLECTION = 'fhir_locks';

const SYSTEM_COLLECTIONS = new Set([HISTORY_COLLECTION, CHANGES_COLLECTION, COUNTERS_COLLECTION, LOCKS_COLLECTION]);

const EXCEPTIONS: Readonly<Record<string, string>> = {
  MedicationStatement: 'medications',
  Medication: 'medicationcatalog',
};

/** `Patient` → `patients`, `AllergyIntolerance` → `allergyintolerances`, `ImagingStudy` → `imagingstudies`. */
export function collectionNameFor(resourceType: string): string {
  if (!/^[A-Z][A-Za-z]{0,63}$/.test(resourceType))
    throw new Error(`not a resource type name: ${JSON.stringify(resourceType)}`);
  const exception = EXCEPTIONS[resourceType];
  if (exception) return exception;
  const lower = resourceType.toLowerCase();
  if (/[^aeiou]y$/.test(lower)) return `${lower.slice(0, -1)}ies`;
  if (/sis$/.test(lower)) return `${lower.slice(0, -2)}es`;
  if (/(s|x|z|ch|sh)$/.test(lower)) return `${lower}es`;
  return `${lower}s`;
}

/** Prefix of the collections kept by terminology beside the resources (its concept table). */
export const TERMINOLOGY_PREFIX = 'terminology_';

/** True for collections that hold current resources (not history, outbox, counters, terminology or system.*). */
export function isResourceCollection(name: string): boolean {
  return !SYSTEM_COLLECTIONS.has(name) && !name.startsWith('system.') && !name.startsWith(TERMINOLOGY_PREFIX);
}
