/**
 * A batch of FHIR changes → the outbound messages for each endpoint (planOutbound per change and endpoint, kept
 * when the endpoint takes the message type). The changed resource is read at the version of the change (so an
 * Encounter created in progress then finished gives A01/A04 then A03, even when both are planned together);
 * referenced resources (the Patient, the report's Observations) are read as they are now. Reads are shared
 * between the endpoints of a batch.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { ChangeRecord, ResourceStore } from '../../../server/store/resource-store.js';
import type { OutboundRecord } from '../log/outbound-log.js';
import { endpointsFor, type OutboundEndpoint } from '../log/mysql-interface-configs.js';
import { planOutbound } from './plan-outbound.js';
import type { OruBuilder } from './oru-builder.js';
import type { Endpoints } from './message-header.js';

/** The resource types planOutbound turns into messages; other changes are skipped without a read. */
export const OUTBOUND_SOURCE_TYPES: ReadonlySet<string> = new Set(['Patient', 'Encounter', 'DiagnosticReport']);

export function messageHeader(e: OutboundEndpoint): Endpoints {
  return {
    ...(e.receivingApplication ? { receivingApplication: e.receivingApplication } : {}),
    ...(e.receivingFacility ? { receivingFacility: e.receivingFacility } : {}),
    version: e.version,
  };
}

export async function planChanges(changes: readonly ChangeRecord[], endpoints: readonly OutboundEndpoint[], store: ResourceStore, oru: OruBuilder): Promise<OutboundRecord[]> {
  const current = new Map<string, Promise<Resource | undefined>>();
  const readCurrent = (type: string, id: string) => {
    const key = `${type}/${id}`;
    let hit = current.get(key);
    if (!hit) current.set(key, (hit = store.read(type, id).then((v) => v?.resource ?? undefined)));
    return hit;
  };
  const out: OutboundRecord[] = [];
  for (const change of changes) {
    if (change.deleted || !OUTBOUND_SOURCE_TYPES.has(change.resourceType) || endpoints.length === 0) continue;
    const own = store.vread(change.resourceType, change.id, change.versionId).then((v) => v?.resource ?? undefined);
    const read = (type: string, id: string) => (type === change.resourceType && id === change.id ? own : readCurrent(type, id));
    for (const endpoint of endpoints) {
      const planned = await planOutbound(change, read, oru, messageHeader(endpoint));
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
