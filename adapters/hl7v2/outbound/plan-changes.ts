/**
 * A batch of FHIR changes → the outbound messages for each endpoint (planOutbound per change and endpoint, kept
 * when the endpoint takes the message type). The changed resource is read at the version of the change (so an
 * Encounter created in progress then finished gives A01/A04 then A03, even when both are planned together);
 * referenced resources (the Patient, the report's Observations) are read as they are now. Reads are shared
 * between the endpoints of a batch. A change that cannot be turned into a message (a builder fails on its content)
 * is reported and skipped, so it cannot stall the feed; a failing store read is thrown (the batch is tried again).
 */
import type { Resource } from '@medplum/fhirtypes';
import type { ChangeRecord, ResourceStore } from '../../../server/store/resource-store.js';
import type { OutboundRecord } from '../log/outbound-log.js';
import { endpointsFor, type OutboundEndpoint } from '../log/mysql-interface-configs.js';
import { planOutbound } from './plan-outbound.js';
import type { OruBuilder } from './oru-builder.js';
import type { Endpoints } from './message-header.js';
import { outboundCharset } from './outbound-charset.js';

/** MSH-18 for the endpoint's configured set; none when it cannot be sent (the send then dead-letters it, saying why). */
function characterSet(e: OutboundEndpoint): string | undefined {
  try {
    return outboundCharset(e.characterEncoding).msh18;
  } catch {
    return undefined;
  }
}

/** The message types planOutbound can make of each resource type; other changes are skipped without a read. */
export const OUTBOUND_SOURCES: Readonly<Record<string, readonly string[]>> = {
  Patient: ['ADT^A28', 'ADT^A31'],
  Encounter: ['ADT^A01', 'ADT^A03', 'ADT^A04', 'ADT^A08'],
  DiagnosticReport: ['ORU^R01'],
  Observation: ['ORU^R01'],
};

const takesAny = (e: OutboundEndpoint, types: readonly string[]) => types.some((t) => endpointsFor([e], t).length > 0);

export function messageHeader(e: OutboundEndpoint): Endpoints {
  return {
    ...(e.sendingApplication ? { sendingApplication: e.sendingApplication } : {}),
    ...(e.sendingFacility ? { sendingFacility: e.sendingFacility } : {}),
    ...(e.receivingApplication ? { receivingApplication: e.receivingApplication } : {}),
    ...(e.receivingFacility ? { receivingFacility: e.receivingFacility } : {}),
    version: e.version,
    ...(characterSet(e) ? { characterSet: characterSet(e) } : {}),
  };
}

export type PlanFailure = { change: ChangeRecord; endpoint: string; error: string };

/** A store read failed: the whole batch is retried, never skipped. */
class StoreReadError extends Error {
  constructor(readonly original: unknown) {
    super(String((original as Error)?.message ?? original));
  }
}

const storeRead = (p: Promise<{ resource: Resource | null } | undefined>) =>
  p.then(
    (v) => v?.resource ?? undefined,
    (e: unknown) => Promise.reject(new StoreReadError(e)),
  );

export async function planChanges(
  changes: readonly ChangeRecord[],
  endpoints: readonly OutboundEndpoint[],
  store: ResourceStore,
  oru: OruBuilder,
  onFailure: (f: PlanFailure) => void = () => undefined,
): Promise<OutboundRecord[]> {
  const current = new Map<string, Promise<Resource | undefined>>();
  const readCurrent = (type: string, id: string) => {
    const key = `${type}/${id}`;
    let hit = current.get(key);
    if (!hit) current.set(key, (hit = storeRead(store.read(type, id))));
    return hit;
  };
  const reported = new Map<string, Promise<boolean>>();
  const isReported = (observationId: string) => {
    let hit = reported.get(observationId);
    if (!hit)
      reported.set(
        observationId,
        (hit = store
          .search({
            resourceTypes: ['DiagnosticReport'],
            conditions: [
              {
                kind: 'reference',
                param: 'result',
                values: [{ match: 'literal', targetType: 'Observation', targetId: observationId }],
              },
            ],
            sort: [],
            count: 1,
            total: 'none',
          })
          .then(
            (page) => page.entries.length > 0,
            (e: unknown) => Promise.reject(new StoreReadError(e)),
          )),
      );
    return hit;
  };
  const out: OutboundRecord[] = [];
  for (const change of changes) {
    const types = OUTBOUND_SOURCES[change.resourceType];
    const targets = types ? endpoints.filter((e) => takesAny(e, types)) : [];
    if (change.deleted || targets.length === 0) continue;
    let own: Promise<Resource | undefined> | undefined;
    const readOwn = () => (own ??= storeRead(store.vread(change.resourceType, change.id, change.versionId)));
    const read = (type: string, id: string) =>
      type === change.resourceType && id === change.id ? readOwn() : readCurrent(type, id);
    for (const endpoint of targets) {
      let planned;
      try {
        planned = await planOutbound(change, read, oru, messageHeader(endpoint), isReported);
      } catch (e) {
        if (e instanceof StoreReadError) throw e.original;
        onFailure({ change, endpoint: endpoint.name, error: String((e as Error)?.message ?? e) });
        continue;
      }
      planned.forEach((m, part) => {
        if (endpointsFor([endpoint], m.type).length === 0) return;
        out.push({
          endpointId: endpoint.id,
          sourceResource: `${change.resourceType}/${change.id}`,
          sourceVersion: change.versionId,
          sourceSeq: change.seq,
          sourcePart: part,
          orderingKey: m.key,
          text: m.text,
        });
      });
    }
  }
  return out;
}
