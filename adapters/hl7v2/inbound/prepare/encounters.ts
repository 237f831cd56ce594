/**
 * Encounter identity is the visit number (PV1-19 with its assigning authority) of one patient: an encounter
 * identified by a visit number is only ever updated for the patient it belongs to. A message that names another
 * patient's visit number is refused (AE 205, PV1-19) — never a silent move of the encounter to another patient.
 * The update of a stored encounter carries ifMatch and follows encounter-status.ts; a new one is created by a
 * conditional update scoped to the patient (so two patients racing on one visit number never share it).
 */
import type { Bundle, BundleEntry, Encounter, Resource } from '@medplum/fhirtypes';
import type { AckError } from '../../ack/ack-builder.js';
import { MappingError } from '../../mapping/mapping-error.js';
import { dtmInstant } from '../message-facts.js';
import type { Hl7Message } from '../../parser/hl7-message.js';
import type { Preparer } from './prepare-bundle.js';
import type { Found } from './lookups.js';
import { versionTag, withoutEntry } from './lookups.js';
import { decideEncounter } from './encounter-status.js';

const encounterEntries = (bundle: Bundle) =>
  (bundle.entry ?? []).filter(
    (e) =>
      e.resource?.resourceType === 'Encounter' &&
      e.request?.method === 'PUT' &&
      /^Encounter(\?identifier=[^&]+|\/[A-Za-z0-9.-]+)$/.test(e.request.url ?? ''),
  );

/** The search for what an encounter entry would write: by visit number, or by the id it was derived to. */
const searchOf = (url: string) =>
  url.startsWith('Encounter/') ? `Encounter?_id=${url.slice('Encounter/'.length)}` : url;

/** The patient an encounter entry names: a stored id, or the conditional URL of the message's Patient entry. */
function patientOf(bundle: Bundle, e: BundleEntry, found: Found): { id?: string; query?: string } {
  const ref = (e.resource as Encounter).subject?.reference ?? '';
  if (ref.startsWith('Patient/')) return { id: ref.slice('Patient/'.length) };
  const p = (bundle.entry ?? []).find((x) => x.fullUrl === ref);
  const url = p?.request?.url ?? '';
  if (url.startsWith('Patient?')) {
    const stored = found.get(url)?.[0];
    return { ...(stored?.id ? { id: stored.id } : {}), query: url.slice('Patient?'.length) };
  }
  if (url.startsWith('Patient/')) return { id: url.slice('Patient/'.length) };
  return {};
}

/** When the message's event happened: EVN-6, else EVN-2, else MSH-7. */
export function eventTime(msg: Hl7Message, defaultOffset: string): string | undefined {
  const raw = msg.get('EVN-6.1') || msg.get('EVN-2.1') || msg.get('MSH-7.1');
  return raw ? dtmInstant(raw, defaultOffset) : undefined;
}

export const encounters: Preparer = {
  needs(bundle) {
    const urls: string[] = [];
    for (const e of encounterEntries(bundle)) {
      urls.push(searchOf(e.request!.url));
      const ref = (e.resource as Encounter).subject?.reference ?? '';
      const p = (bundle.entry ?? []).find((x) => x.fullUrl === ref);
      if (p?.request?.url?.startsWith('Patient?')) urls.push(p.request.url);
    }
    return urls;
  },
  apply(bundle, found, ctx) {
    let out = bundle;
    const warnings: AckError[] = [];
    for (const e of encounterEntries(bundle)) {
      const url = e.request!.url;
      const byVisit = url.startsWith('Encounter?');
      const visit = byVisit ? decodeURIComponent(url.slice('Encounter?identifier='.length)) : url;
      const patient = patientOf(out, e, found);
      const stored = (found.get(searchOf(url)) ?? []) as Encounter[];
      const belongs = (enc: Resource) =>
        patient.id && (enc as Encounter).subject?.reference === `Patient/${patient.id}`;
      const foreign = stored.find((enc) => !belongs(enc));
      if (foreign)
        throw new MappingError(
          `${byVisit ? `visit number ${visit} (PV1-19)` : visit} already identifies Encounter/${foreign.id} of another patient (${foreign.subject?.reference ?? 'none'}): not moved to this patient`,
          '205',
          { segment: 'PV1', sequence: ctx.msg.first('PV1')?.index ?? 1, field: 19 },
        );
      const mine = stored[0];
      const incoming = e.resource as Encounter;
      if (!mine) {
        const scope = patient.id
          ? `&subject=Patient/${patient.id}`
          : patient.query
            ? `&subject:Patient.${patient.query}`
            : '';
        if (byVisit) out = replaceEntry(out, e, { ...e, request: { method: 'PUT', url: `${url}${scope}` } });
        continue;
      }
      const decision = decideEncounter(
        mine,
        incoming,
        ctx.msg.messageType.event,
        eventTime(ctx.msg, ctx.defaultOffset),
      );
      if (decision.kind === 'stale') {
        out = withoutEntry(out, e.fullUrl!, `Encounter/${mine.id}`);
        warnings.push({
          code: '0',
          severity: 'W',
          segment: 'PV1',
          field: 19,
          text: `Encounter/${mine.id} not changed: ${decision.reason}`,
        });
        continue;
      }
      if (decision.kept)
        warnings.push({
          code: '0',
          severity: 'W',
          segment: 'PV1',
          field: 2,
          text: `Encounter/${mine.id}: ${decision.kept}`,
        });
      out = replaceEntry(out, e, {
        ...e,
        resource: { ...decision.resource, id: mine.id! },
        request: { method: 'PUT', url: `Encounter/${mine.id}`, ifMatch: versionTag(mine) },
      });
    }
    return { bundle: out, warnings };
  },
};

function replaceEntry(bundle: Bundle, from: BundleEntry, to: BundleEntry): Bundle {
  return { ...bundle, entry: (bundle.entry ?? []).map((x) => (x === from || x.fullUrl === from.fullUrl ? to : x)) };
}
