/**
 * FHIR → ORU^R01: a DiagnosticReport (or just Observations) of a Patient as MSH, PID, PV1, OBR and one OBX (+NTE)
 * per Observation. Values: Quantity → NM (SN with a comparator) + OBX-6 units, CodeableConcept → CWE, string →
 * ST, dateTime → DTM; reference ranges, interpretations, status and effective time are kept.
 */
import type {
  DiagnosticReport,
  Encounter,
  Observation,
  ObservationReferenceRange,
  Patient,
  Quantity,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { encodeMessage, type ComponentIn, type FieldIn, type SegmentIn } from '../parser/encode.js';
import { CodeTables } from '../mapping/code-tables.js';
import { cwe, dtm, interpretationCwe, reverseSystems, v2System } from './fhir-to-v2.js';
import { pidSegment, pv1Segment } from './pid-segment.js';
import { mshSegment, type Endpoints } from './message-header.js';

export interface OruInput {
  readonly patient: Patient;
  readonly observations: readonly Observation[];
  readonly report?: DiagnosticReport;
  readonly encounter?: Encounter;
  /** The order the report answers (its first basedOn ServiceRequest), for OBR-2. */
  readonly order?: ServiceRequest;
}

const OBS_STATUS: Record<string, string> = {
  final: 'F',
  preliminary: 'P',
  corrected: 'C',
  amended: 'C',
  'entered-in-error': 'W',
  cancelled: 'X',
  registered: 'I',
  unknown: '',
};
const REPORT_STATUS: Record<string, string> = {
  final: 'F',
  preliminary: 'P',
  partial: 'A',
  corrected: 'C',
  amended: 'C',
  registered: 'I',
  cancelled: 'X',
  'entered-in-error': 'X',
  appended: 'C',
  unknown: '',
};

function num(v: number | undefined): string {
  return v === undefined ? '' : String(v);
}

export class OruBuilder {
  private readonly reverse: Map<string, string>;
  private readonly sys = (uri?: string) => v2System(this.tables, uri, this.reverse);

  constructor(private readonly tables = CodeTables.loadDefaults()) {
    const rows: Record<string, { code: string }> = {};
    for (const name of ['LN', 'SCT', 'I10', 'I9CM', 'CVX', 'NDC', 'RXNORM', 'C4', 'UCUM']) {
      const hit = tables.lookup('CodingSystem', name);
      if (hit) rows[name] = hit;
    }
    this.reverse = reverseSystems(rows);
  }

  private units(q: Quantity): ComponentIn[] {
    if (!q.code && !q.unit) return [];
    return [q.code ?? q.unit ?? '', q.unit ?? '', q.code ? this.sys(q.system) : ''];
  }

  private range(r: ObservationReferenceRange | undefined): string {
    if (!r) return '';
    if (r.low?.value !== undefined && r.high?.value !== undefined) return `${r.low.value}-${r.high.value}`;
    if (r.high?.value !== undefined) return `<${r.high.value}`;
    if (r.low?.value !== undefined) return `>${r.low.value}`;
    return r.text ?? '';
  }

  private obx(o: Observation, setId: number): SegmentIn[] {
    let type = '';
    let value: FieldIn = '';
    let units: ComponentIn[] = [];
    if (o.valueQuantity) {
      const q = o.valueQuantity;
      units = this.units(q);
      if (q.comparator) {
        type = 'SN';
        value = [q.comparator, num(q.value)];
      } else {
        type = 'NM';
        value = num(q.value);
      }
    } else if (o.valueCodeableConcept) {
      type = 'CWE';
      value = cwe(o.valueCodeableConcept, this.sys);
    } else if (o.valueString !== undefined) {
      type = o.valueString.includes('\n') ? 'TX' : 'ST';
      value = o.valueString;
    } else if (o.valueDateTime) {
      type = 'DTM';
      value = dtm(o.valueDateTime);
    } else if (o.valueBoolean !== undefined) {
      type = 'ST';
      value = o.valueBoolean ? 'true' : 'false';
    }
    const fields: FieldIn[] = [];
    fields[0] = String(setId);
    fields[1] = type;
    fields[2] = cwe(o.code, this.sys);
    fields[4] = value;
    fields[5] = units;
    fields[6] = this.range(o.referenceRange?.[0]);
    fields[7] = { reps: (o.interpretation ?? []).map((i) => interpretationCwe(i)) };
    fields[10] = OBS_STATUS[o.status] ?? '';
    fields[13] = dtm(o.effectiveDateTime ?? o.effectivePeriod?.start);
    const segs: SegmentIn[] = [{ name: 'OBX', fields: Array.from(fields, (f) => f ?? '') }];
    (o.note ?? []).forEach((n, i) => segs.push({ name: 'NTE', fields: [String(i + 1), 'L', n.text] }));
    return segs;
  }

  build(input: OruInput, endpoints: Endpoints = {}, controlId?: string): string {
    const r = input.report;
    // OBR-2 / OBR-3 (IG OBR[DiagnosticReport]): the identifiers typed PLAC / FILL, else the order's placer number
    // and the report's own identifier; a result with no report names its Observation's identifier as filler.
    const typed = (code: string) =>
      r?.identifier?.find((i) => i.type?.coding?.some((c) => c.code === code))?.value ??
      input.order?.identifier?.find((i) => i.type?.coding?.some((c) => c.code === code))?.value;
    const placer = typed('PLAC') ?? input.order?.identifier?.[0]?.value ?? '';
    const filler =
      typed('FILL') ??
      r?.identifier?.find((i) => i.value && i.value !== placer)?.value ??
      (r ? r.id : input.observations[0]?.identifier?.[0]?.value) ??
      '';
    const obr: SegmentIn = {
      name: 'OBR',
      fields: Array.from(
        Object.assign([], {
          0: '1',
          1: placer,
          2: filler,
          3: r ? cwe(r.code, this.sys) : cwe(input.observations[0]?.code, this.sys),
          6: dtm(r?.effectiveDateTime ?? r?.effectivePeriod?.start ?? input.observations[0]?.effectiveDateTime),
          7: dtm(r?.effectivePeriod?.end),
          21: dtm(r?.issued),
          24: r ? (REPORT_STATUS[r.status] ?? '') : 'F',
        }) as FieldIn[],
        (f) => f ?? '',
      ),
    };
    const segments: SegmentIn[] = [
      mshSegment(['ORU', 'R01', 'ORU_R01'], endpoints, controlId),
      pidSegment(input.patient),
      pv1Segment(input.encounter),
      obr,
      ...input.observations.flatMap((o, i) => this.obx(o, i + 1)),
    ];
    return encodeMessage(segments);
  }
}
