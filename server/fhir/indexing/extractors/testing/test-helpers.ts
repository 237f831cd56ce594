import type { Resource } from '@medplum/fhirtypes';
import type { IndexEntry } from '../../index-entry.js';
import { extractIndex } from '../../extract-index.js';

/** The entries of one parameter, as extractIndex produces them for `resource`. */
export function entriesOf(resource: Record<string, unknown>, param: string): IndexEntry[] {
  return extractIndex(resource as unknown as Resource).entries.filter((e) => e.param === param);
}

/** Epoch ms of an ISO instant. */
export function ms(iso: string): number {
  return Date.parse(iso);
}
