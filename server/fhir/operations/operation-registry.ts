/**
 * Operations ($validate, $everything, $export, …) as data: each one names the levels and types it
 * answers; the router dispatches by name and the CapabilityStatement lists exactly these.
 */
import type { FhirRequest, FhirResponse } from '../fhir-request.js';
import type { FhirContext } from '../fhir-context.js';

export type OperationTarget =
  | { level: 'system' }
  | { level: 'type'; resourceType: string }
  /** versionId: [type]/[id]/_history/[vid]/$[operation], for handlers with `onVersions`. */
  | { level: 'instance'; resourceType: string; id: string; versionId?: number };

export type OperationHandler = {
  /** Without the `$`. */
  name: string;
  definition: string;
  levels: Array<OperationTarget['level']>;
  /** Types it applies to at type/instance level; undefined = every type. */
  types?: string[];
  /** Also answers on one version of an instance ([type]/[id]/_history/[vid]/$name); otherwise such a call is 404. */
  onVersions?: boolean;
  /** HTTP methods accepted (POST always; GET for operations without side effects). */
  methods: Array<FhirRequest['method']>;
  handle(ctx: FhirContext, request: FhirRequest, target: OperationTarget): Promise<FhirResponse>;
};

export class OperationRegistry {
  private readonly byName = new Map<string, OperationHandler>();

  register(handler: OperationHandler): this {
    this.byName.set(handler.name, handler);
    return this;
  }

  find(name: string): OperationHandler | undefined {
    return this.byName.get(name);
  }

  list(): OperationHandler[] {
    return [...this.byName.values()];
  }

  /** The shape CapabilityStatement building wants: one row per level. */
  describe(): Array<{ name: string; definition: string; level: OperationTarget['level']; types?: string[] }> {
    return this.list().flatMap((op) =>
      op.levels.map((level) => ({ name: op.name, definition: op.definition, level, types: op.types })),
    );
  }
}
