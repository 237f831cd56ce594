/**
 * A training (T) or debugging (D) message on a server that stores production (P) only, from an interface configured
 * to take it (interface_configs.settings.processing_ids): checked as a production message would be — mapped, what
 * it refers to looked up, each resource validated — and answered truthfully (AA, or AE with the content error), but
 * nothing is written to the FHIR store. This is how a sender's test messages are certified on the live system before
 * go-live without putting test patients into the production record. The message itself is logged as any other.
 */
import type { Bundle } from '@medplum/fhirtypes';
import type { Hl7Message } from '../parser/hl7-message.js';
import type { CodeTables } from '../mapping/code-tables.js';
import type { MappingSet } from '../mapping/load-mappings.js';
import { validateResource } from '../../../server/fhir/validation/validate-resource.js';
import { unprocessable } from '../../../server/fhir/errors.js';
import type { ResolvedDeps } from './inbound-deps.js';
import { mapAndPrepare, type Applied } from './apply-message.js';

const NAMES: Record<string, string> = { T: 'training', D: 'debugging' };

/** Processing ids a server that stores `stored` only checks (the interface accepted them): the others. */
export function checkedOnly(processingId: string, stored: readonly string[]): boolean {
  return !stored.includes(processingId || 'P');
}

export async function checkMessage(
  msg: Hl7Message,
  set: { mappings: MappingSet; tables: CodeTables },
  deps: ResolvedDeps,
): Promise<Applied & { note: string }> {
  const { bundle, template, warnings } = await mapAndPrepare(msg, set, deps);
  const issues = (bundle.entry ?? []).flatMap((e, i) =>
    e.resource
      ? validateResource(e.resource).map((issue) => ({
          ...issue,
          expression: (issue.expression ?? [e.resource!.resourceType]).map((x) => `Bundle.entry[${i}].resource.${x}`),
        }))
      : [],
  );
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) throw unprocessable(errors);
  const id = msg.get('MSH-11.1');
  const resources = (bundle.entry ?? []).filter((e) => e.resource).length;
  const note = `${NAMES[id] ?? id} message (MSH-11 ${id}) checked, not stored: mapped to ${resources} resources and validated; this server stores ${deps.processingIds.join(', ')} messages only`;
  warnings.push({ code: '0', text: note, severity: 'I', segment: 'MSH', sequence: 1, field: 11 });
  const response: Bundle = { resourceType: 'Bundle', type: 'transaction-response' };
  return { bundle: bundle, response, template, warnings, note };
}
