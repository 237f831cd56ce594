/**
 * Exactly once across crashes: every inbound transaction also writes a Provenance (the IG's MSH[Provenance]: the
 * message as the source entity, the resources written as targets) whose id is derived from the message's log row.
 * It commits with the message's resources or not at all, so when a message is found `processing` after a crash,
 * the Provenance tells whether its transaction committed (finish the log row, write nothing again) or not
 * (process it from the stored raw message).
 * The Provenance names only what the transaction wrote (server/fhir/bundle/provenance-of-writes.ts): an entry equal to
 * the stored version writes nothing and is not a target; a message that wrote nothing (an identical resend under a new
 * control id) has no Provenance. Found `processing` after a crash, such a message is processed again, which again
 * writes nothing for what is still equal.
 */
import type { Bundle, BundleEntry, Provenance, Reference } from '@medplum/fhirtypes';
import type { Hl7Message } from '../parser/hl7-message.js';
import { stableUuid } from '../mapping/identity.js';
import { messageSource } from '../mapping/mapping-engine.js';
import type { SubmitTransaction } from './submit-transaction.js';

export function markerId(messageId: string): string {
  return stableUuid('hl7v2-inbound-message', messageId);
}

export function withMarker(bundle: Bundle, msg: Hl7Message, messageId: string, recorded: Date): Bundle {
  const entries = bundle.entry ?? [];
  const target: Reference[] = entries
    .filter((e) => e.fullUrl && e.request?.method !== 'GET' && e.request?.method !== 'DELETE')
    .map((e) => ({ reference: e.fullUrl! }));
  if (target.length === 0) return bundle;
  const id = markerId(messageId);
  const t = msg.messageType;
  const provenance: Provenance = {
    resourceType: 'Provenance',
    id,
    target,
    recorded: recorded.toISOString(),
    activity: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE', display: 'revise' }],
      text: `HL7 v2 ${[t.code, t.event].filter(Boolean).join('^')} transformed to FHIR`,
    },
    agent: [
      {
        type: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'author' }],
        },
        who: {
          display: [msg.fieldText('MSH', 3), msg.fieldText('MSH', 4)].filter(Boolean).join(' / ') || 'unknown sender',
        },
      },
    ],
    entity: [
      {
        role: 'source',
        what: {
          identifier: { system: 'urn:nilecare:hl7v2:message', value: messageSource(msg) },
          display: `${[t.code, t.event].filter(Boolean).join('^')} ${msg.controlId}`.trim(),
        },
      },
    ],
  };
  const marker: BundleEntry = {
    fullUrl: `urn:uuid:${id}`,
    resource: provenance,
    request: { method: 'PUT', url: `Provenance/${id}` },
  };
  return { ...bundle, entry: [...entries, marker] };
}

/** The references the message's committed transaction wrote, or undefined when it did not commit. */
export async function appliedTargets(submit: SubmitTransaction, messageId: string): Promise<string[] | undefined> {
  const response = await submit({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{ request: { method: 'GET', url: `Provenance?_id=${markerId(messageId)}` } }],
  });
  const found = response.entry?.[0]?.resource as Bundle | undefined;
  const provenance = found?.entry?.find((e) => e.resource?.resourceType === 'Provenance')?.resource as
    Provenance | undefined;
  if (!provenance) return undefined;
  return provenance.target.map((r) => r.reference ?? '').filter(Boolean);
}
