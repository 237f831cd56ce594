/**
 * How HL7 inbound writes into this server's FHIR store: one transaction per message through the system client, with
 * only each entry's location back (hl7_messages.fhir_resources keeps no more) and nothing written for an entry equal
 * to the current version (a resend under a new control id, a result repeated by a later message: no new version).
 */
import type { InternalFhirClient } from './fhir/internal-client.js';
import type { SubmitTransaction } from '../adapters/hl7v2/inbound/submit-transaction.js';

export function hl7Submit(client: InternalFhirClient): SubmitTransaction {
  return (bundle) => client.transaction(bundle, { return: 'minimal', unchangedWritesNothing: true });
}
