/**
 * Orders are one ServiceRequest per OBR (key: patient + placer number + OBR-4.1, as the IG makes one per OBR). Two
 * cases need what is stored:
 * - an ORC without an OBR (ORM^O01 with ORC-1 CA, a hold, a status change of the whole order) has no service to
 *   key on: it updates every stored order of that patient and placer number (their code and other fields kept);
 * - an order stored before the key had OBR-4.1 in it (`patient + placer number`) is found again by the OBR whose
 *   service it holds, so a later result does not make a second ServiceRequest for it.
 * A stored order counts only when its id is one this mapping gives for a patient of the message (PID-3.1), so an
 * equal placer number of another patient is never touched. Writes carry ifMatch on the version read.
 */
import type { Bundle, BundleEntry, ServiceRequest } from '@medplum/fhirtypes';
import { fieldReps, type Hl7Message } from '../../parser/hl7-message.js';
import { stableUuid, identifierQuery } from '../../mapping/identity.js';
import type { Preparer } from './prepare-bundle.js';
import { versionTag, type Found } from './lookups.js';

const ID_URL = /^ServiceRequest\/([A-Za-z0-9.-]+)$/;

function orderEntries(bundle: Bundle): BundleEntry[] {
  return (bundle.entry ?? []).filter(
    (e) =>
      e.resource?.resourceType === 'ServiceRequest' &&
      e.request?.method === 'PUT' &&
      ID_URL.test(e.request.url ?? '') &&
      e.resource.identifier?.[0]?.value,
  );
}

const placerOf = (e: BundleEntry) => (e.resource as ServiceRequest).identifier![0]!.value!;
const idOf = (e: BundleEntry) => ID_URL.exec(e.request!.url)![1]!;

/** An ORC without OBR asks for every stored order of its placer number (a search; rare). */
const searchOf = (e: BundleEntry) =>
  `ServiceRequest?identifier=${identifierQuery((e.resource as ServiceRequest).identifier![0]!)}`;

const patientIds = (msg: Hl7Message) =>
  [...new Set(msg.all('PID').map((pid) => msg.text(fieldReps(pid, 3)[0], 1).trim()))].filter(Boolean);

/** The id an order had under the earlier key (patient + placer number), per patient of the message. */
const legacyIds = (e: BundleEntry, msg: Hl7Message) =>
  patientIds(msg).map((pid) => stableUuid('ServiceRequest', pid, placerOf(e)));

/**
 * What an entry needs read: an order with a service reads its own id and its earlier-key ids (reads by id, joined
 * with the other reads of the message into one query); an ORC without OBR searches its placer number.
 */
function reads(e: BundleEntry, msg: Hl7Message): string[] {
  if (!(e.resource as ServiceRequest).code) return [searchOf(e)];
  return [idOf(e), ...legacyIds(e, msg)].map((id) => `ServiceRequest?_id=${id}`);
}

/** The stored orders of this placer number that this mapping made for a patient of the message. */
function storedOrders(e: BundleEntry, found: Found, msg: Hl7Message): ServiceRequest[] {
  const placer = placerOf(e);
  const pids = patientIds(msg);
  return ((found.get(searchOf(e)) ?? []) as ServiceRequest[]).filter((sr) =>
    pids.some(
      (pid) =>
        sr.id === stableUuid('ServiceRequest', pid, placer) ||
        (sr.code?.coding ?? []).some((c) => c.code && sr.id === stableUuid('ServiceRequest', pid, placer, c.code)),
    ),
  );
}

function written(e: BundleEntry, stored: ServiceRequest, resource: ServiceRequest): BundleEntry {
  return {
    ...e,
    resource: { ...resource, id: stored.id! },
    request: { ...e.request!, url: `ServiceRequest/${stored.id}`, ifMatch: versionTag(stored) },
  };
}

export const orders: Preparer = {
  needs: (bundle, msg) => orderEntries(bundle).flatMap((e) => reads(e, msg)),
  apply(bundle, found, ctx) {
    const ours = new Set(orderEntries(bundle));
    const claimed = new Set([...ours].map(idOf));
    const entry = (bundle.entry ?? []).flatMap((e): BundleEntry[] => {
      if (!ours.has(e)) return [e];
      const incoming = e.resource as ServiceRequest;
      if (!incoming.code) {
        // The whole order: each stored ServiceRequest of the placer number takes the ORC's status and fields.
        const stored = storedOrders(e, found, ctx.msg);
        if (stored.length === 0) return [e];
        return stored.map((sr, i) => {
          const { meta: _meta, ...kept } = sr;
          const one = written(e, sr, { ...kept, ...incoming, code: sr.code });
          return i === 0 ? one : { ...one, fullUrl: `urn:uuid:${stableUuid(e.fullUrl ?? '', String(i))}` };
        });
      }
      if ((found.get(`ServiceRequest?_id=${idOf(e)}`) ?? []).length > 0) return [e];
      // An order stored under the placer number alone, holding this OBR's service: write it there.
      const codes = new Set((incoming.code.coding ?? []).map((c) => c.code));
      const legacy = legacyIds(e, ctx.msg)
        .flatMap((id) => (found.get(`ServiceRequest?_id=${id}`) ?? []) as ServiceRequest[])
        .find((sr) => !claimed.has(sr.id!) && (sr.code?.coding ?? []).some((c) => codes.has(c.code)));
      if (!legacy) return [e];
      claimed.add(legacy.id!);
      return [written(e, legacy, incoming)];
    });
    return { bundle: { ...bundle, entry }, warnings: [] };
  },
};
