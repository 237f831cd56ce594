/**
 * fhir_mappings code rows moved into ConceptMaps (issue #23: one source of truth for code mappings). A code row
 * (`code_map` set) of nilecare_interop.fhir_mappings becomes the ConceptMap `fhir-mappings-<row id>` — identifier
 * `CODE_TABLE_SYSTEM|<table>`, the row's scope and priority in the scope extension (code-table-scope.ts), one group
 * per target system, each code `equivalent` — written through the FHIR API (validated, audited, versioned); the
 * mapping cache then deactivates the row (adapters/hl7v2/inbound/site-mapping-cache.ts). From there on the
 * ConceptMap is the one place the codes live: HL7 inbound, `$translate` and the projections read it, and a REST edit
 * of it changes them all. A row added or re-activated later is moved the same way (a new version of its map).
 * Field rules and templates stay in fhir_mappings.
 */
import { createHash } from 'node:crypto';
import type { ConceptMap, ConceptMapGroup } from '@medplum/fhirtypes';
import type { InternalFhirClient } from '../internal-client.js';
import { CODE_TABLE_SYSTEM, scopeExtension } from './code-table-scope.js';
import type { CodeTableOverride, CodeTableScope } from './code-table-maps.js';

/**
 * The fields of a fhir_mappings code row this needs (adapters/hl7v2/mapping/site-mappings.ts MappingRow): the same
 * shape as a scoped code-table map's scope, which is what the row becomes.
 */
export type CodeRow = CodeTableScope;

/** One code of a row: the shape rowEffect() reads from code_map, the same as a code-table map's code. */
export type RowCode = CodeTableOverride;

/** The id of the ConceptMap a row moves into: stable per row. */
export function conceptMapIdOf(rowId: string): string {
  const plain = `fhir-mappings-${rowId}`;
  if (/^[A-Za-z0-9\-.]{1,64}$/.test(plain)) return plain;
  return `fhir-mappings-${createHash('sha256').update(rowId).digest('hex').slice(0, 40)}`;
}

export function conceptMapOfRow(row: CodeRow, codes: readonly RowCode[]): ConceptMap {
  const id = conceptMapIdOf(row.id);
  const table = codes[0]?.table ?? row.name;
  const groups = new Map<string, ConceptMapGroup>();
  for (const c of codes) {
    const key = c.target.system ?? '';
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { ...(c.target.system ? { target: c.target.system } : {}), element: [] }));
    group.element.push({
      code: c.source,
      target: [
        {
          code: c.target.code,
          ...(c.target.display ? { display: c.target.display } : {}),
          equivalence: 'equivalent',
        },
      ],
    });
  }
  const scoped =
    row.messageType !== '*' || row.triggerEvent || row.hl7Version || row.sendingApplication || row.sendingFacility;
  return {
    resourceType: 'ConceptMap',
    id,
    url: `https://nilecare.sd/fhir/ConceptMap/${id}`,
    identifier: { system: CODE_TABLE_SYSTEM, value: table },
    title: `HL7 v2 code table ${table} (fhir_mappings ${row.name} v${row.version})`,
    status: 'active',
    description:
      `Moved from nilecare_interop.fhir_mappings row ${row.id} (${row.name} version ${row.version}); ` +
      'this ConceptMap is now where these codes are changed.',
    ...(scoped
      ? {
          extension: [
            scopeExtension({
              messageType: row.messageType,
              ...(row.triggerEvent ? { triggerEvent: row.triggerEvent } : {}),
              ...(row.hl7Version ? { hl7Version: row.hl7Version } : {}),
              ...(row.sendingApplication ? { sendingApplication: row.sendingApplication } : {}),
              ...(row.sendingFacility ? { sendingFacility: row.sendingFacility } : {}),
              priority: row.priority,
            }),
          ],
        }
      : {}),
    group: [...groups.values()],
  };
}

/** Moves a code row into its ConceptMap through the FHIR API; resolves with the reference, rejects if refused. */
export function codeRowMover(client: InternalFhirClient) {
  return async (row: CodeRow, codes: readonly RowCode[]): Promise<string> => {
    const map = conceptMapOfRow(row, codes);
    const response = await client.request('PUT', `ConceptMap/${map.id!}`, map);
    if (response.status !== 200 && response.status !== 201)
      throw new Error(`ConceptMap/${map.id!} not written: HTTP ${response.status}`);
    return `ConceptMap/${map.id!}`;
  };
}
