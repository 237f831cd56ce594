/**
 * How HL7 inbound writes into this server's FHIR store: one transaction per message through the system client, with
 * only each entry's location back (hl7_messages.fhir_resources keeps no more) and nothing written for an entry equal
 * to the current version (a resend under a new control id, a result repeated by a later message: no new version).
 */
import type { InternalFhirClient } from './fhir/internal-client.js';
import type { SubmitTransaction } from '../adapters/hl7v2/inbound/submit-transaction.js';
import type { StoreRead } from '../adapters/hl7v2/inbound/prepare/lookups.js';
import type { ResourceStore } from './store/resource-store.js';

export function hl7Submit(client: InternalFhirClient): SubmitTransaction {
  return (bundle) => client.transaction(bundle, { return: 'minimal', unchangedWritesNothing: true });
}

/**
 * What a message's preparation reads by id (its orders, reports, a visit by id): the current versions in ONE store read
 * (a prepared statement on PostgreSQL) instead of a planned `_id` search per type; deleted ones are not there.
 */
export function currentResources(store: ResourceStore): StoreRead {
  return async (keys) =>
    (await store.readCurrentMany([...keys])).flatMap((v) => (v.resource && !v.deleted ? [v.resource] : []));
}
