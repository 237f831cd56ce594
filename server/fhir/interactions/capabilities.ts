/**
 * GET /metadata: a CapabilityStatement built from what the server actually registers — resource types,
 * their search parameters, the search control/result parameters (control-params.ts, rest.searchParam), the
 * interactions, operations (the OperationRegistry the router dispatches on) and formats wired in — so it cannot
 * drift from the truth.
 */
import type {
  CapabilityStatement,
  CapabilityStatementRestResource,
  CapabilityStatementRestSecurity,
} from '@medplum/fhirtypes';
import { listSearchParameters } from '../indexing/search-parameter-registry.js';
import { CONTROL_PARAMS, type ControlParam } from '../search/control-params.js';
import type { FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';

export type CapabilityOptions = {
  software: { name: string; version: string };
  /** Operations available, by level. */
  operations: Array<{ name: string; definition: string; level: 'system' | 'type' | 'instance'; types?: string[] }>;
  /** Whether transactions/batches are accepted at the base URL. */
  systemInteractions: Array<'transaction' | 'batch' | 'search-system' | 'history-system'>;
  /** SMART security description, when authorisation is on. */
  security?: CapabilityStatementRestSecurity;
  patchFormats: string[];
};

let cached: { key: string; statement: CapabilityStatement } | undefined;

export function capabilitiesInteraction(ctx: FhirContext, options: CapabilityOptions): FhirResponse {
  const key = `${ctx.baseUrl}|${options.operations.length}|${options.security ? 1 : 0}`;
  if (!cached || cached.key !== key) {
    cached = { key, statement: buildCapabilityStatement(ctx, options) };
  }
  return { status: 200, resource: cached.statement };
}

function buildCapabilityStatement(ctx: FhirContext, options: CapabilityOptions): CapabilityStatement {
  const resource: CapabilityStatementRestResource[] = [...ctx.resourceTypes].sort().map((type) => ({
    // resourceTypes holds only R4 type names (from the StructureDefinitions).
    type: type as CapabilityStatementRestResource['type'],
    profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
    interaction: (
      [
        'read',
        'vread',
        'update',
        'patch',
        'delete',
        'history-instance',
        'history-type',
        'create',
        'search-type',
      ] as const
    ).map((code) => ({ code })),
    versioning: 'versioned-update',
    readHistory: true,
    updateCreate: true,
    conditionalCreate: true,
    conditionalRead: 'full-support',
    conditionalUpdate: true,
    conditionalDelete: 'single',
    referencePolicy: ['literal', 'logical'],
    searchInclude: ['*'],
    searchRevInclude: ['*'],
    searchParam: listSearchParameters(type)
      .filter((p) => p.kind !== 'special' || p.code === '_id' || p.code === '_lastUpdated')
      .map((p) => ({
        name: p.code,
        definition: p.url,
        type: p.kind === 'special' ? (p.code === '_id' ? 'token' : 'date') : p.kind,
      })),
    operation: options.operations
      .filter((op) => op.level !== 'system' && (!op.types || op.types.includes(type)))
      .map((op) => ({ name: op.name, definition: op.definition })),
  }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: new Date().toISOString(),
    kind: 'instance',
    software: options.software,
    implementation: { description: 'NileCare FHIR R4 server', url: ctx.baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json', 'application/fhir+xml', 'xml'],
    patchFormat: options.patchFormats,
    rest: [
      {
        mode: 'server',
        ...(options.security ? { security: options.security } : {}),
        resource,
        interaction: options.systemInteractions.map((code) => ({ code })),
        // the control and result parameters every search takes (the names parseSearch dispatches on)
        searchParam: Object.entries(CONTROL_PARAMS).map(([name, p]: [string, ControlParam]) => ({
          name,
          type: p.type,
          documentation: p.documentation,
          ...(p.definition ? { definition: p.definition } : {}),
        })),
        operation: options.operations
          .filter((op) => op.level === 'system')
          .map((op) => ({ name: op.name, definition: op.definition })),
      },
    ],
  };
}
