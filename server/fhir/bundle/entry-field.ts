/**
 * A Bundle's `entry` as a spreadable field: left out when there are no entries, since FHIR JSON has no empty arrays
 * (HAPI and Medplum leave it out too). Every Bundle the server answers with (searchset, history, batch and
 * transaction responses, operation results) builds its entry through this.
 */
import type { BundleEntry } from '@medplum/fhirtypes';

export function entryField(entries: BundleEntry[]): { entry?: BundleEntry[] } {
  return entries.length > 0 ? { entry: entries } : {};
}
