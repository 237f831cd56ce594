/**
 * FHIR datatypes → HL7 v2 field values (the inverse of the inbound datatype maps): Identifier → CX, HumanName →
 * XPN, Address → XAD, ContactPoint → XTN, CodeableConcept/Coding → CWE, dateTime → DTM, Quantity → NM + units.
 */
import type {
  Address,
  CodeableConcept,
  Coding,
  ContactPoint,
  HumanName,
  Identifier,
  Reference,
} from '@medplum/fhirtypes';
import type { ComponentIn } from '../parser/encode.js';
import type { CodeTables } from '../mapping/code-tables.js';

/** FHIR system URI → v2 coding system name (table 0396), via the CodingSystem table read backwards. */
export function v2System(_tables: CodeTables, uri: string | undefined, reverse: Map<string, string>): string {
  if (!uri) return '';
  const known = reverse.get(uri);
  if (known) return known;
  const hl7 = /^http:\/\/terminology\.hl7\.org\/CodeSystem\/v2-(\d{4})$/.exec(uri);
  if (hl7) return `HL7${hl7[1]}`;
  if (uri.startsWith('urn:oid:')) return uri.slice(8);
  return uri;
}

/** Preferred v2 names for the common systems (the first name of each URI in the CodingSystem table). */
export function reverseSystems(tableRows: Record<string, { code: string }>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, row] of Object.entries(tableRows)) if (!out.has(row.code)) out.set(row.code, name);
  return out;
}

export function dtm(value: string | undefined): string {
  if (!value) return '';
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(
    value,
  );
  if (!m) return '';
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const zone = tz === 'Z' ? '+0000' : tz ? tz.replace(':', '') : '';
  return `${y}${mo ?? ''}${d ?? ''}${h ?? ''}${mi ?? ''}${s ?? ''}${h && frac ? frac.slice(0, 5) : ''}${h ? zone : ''}`;
}

export function cx(id: Identifier | undefined): ComponentIn[] {
  if (!id?.value) return [];
  const sys = id.system ?? '';
  const oid = sys.startsWith('urn:oid:') ? sys.slice(8) : '';
  const ns = sys.startsWith('urn:nilecare:v2:namespace:')
    ? decodeURIComponent(sys.slice('urn:nilecare:v2:namespace:'.length))
    : '';
  const authority: ComponentIn = oid ? [id.assigner?.display ?? '', oid, 'ISO'] : ns ? ns : sys ? ['', sys, 'URI'] : '';
  return [id.value, '', '', authority, id.type?.coding?.[0]?.code ?? ''];
}

export function xpn(n: HumanName | undefined): ComponentIn[] {
  if (!n) return [];
  return [n.family ?? '', n.given?.[0] ?? '', n.given?.[1] ?? '', n.suffix?.[0] ?? '', n.prefix?.[0] ?? ''];
}

export function xad(a: Address | undefined): ComponentIn[] {
  if (!a) return [];
  return [
    a.line?.[0] ?? '',
    a.line?.[1] ?? '',
    a.city ?? '',
    a.state ?? '',
    a.postalCode ?? '',
    a.country ?? '',
    a.type === 'postal' ? 'M' : a.use === 'home' ? 'H' : '',
  ];
}

export function xtn(c: ContactPoint | undefined): ComponentIn[] {
  if (!c?.value) return [];
  const use = { home: 'PRN', work: 'WPN', mobile: 'PRS', temp: '', old: '' }[c.use ?? 'temp'] ?? '';
  if (c.system === 'email') return ['', 'NET', 'Internet', c.value];
  const equip = { phone: 'PH', fax: 'FX', pager: 'BP', url: '', sms: 'CP', other: '' }[c.system ?? 'other'] ?? '';
  return [c.value, use, equip];
}

export function cwe(cc: CodeableConcept | Coding | undefined, sys: (uri?: string) => string): ComponentIn[] {
  if (!cc) return [];
  const codings: Coding[] = 'coding' in cc || 'text' in cc ? (cc.coding ?? []) : [cc];
  const [a, b] = codings;
  const text = (cc as CodeableConcept).text;
  const out: ComponentIn[] = [
    a?.code ?? '',
    a?.display ?? (a ? '' : (text ?? '')),
    a ? sys(a.system) : '',
    b?.code ?? '',
    b?.display ?? '',
    b ? sys(b.system) : '',
  ];
  if (text && a) out[8] = text;
  return out;
}

/** A practitioner reference → XCN: id number (identifier or the reference's id), then the display as family^given. */
export function xcn(r: Reference | undefined): ComponentIn[] {
  if (!r) return [];
  const id = r.identifier?.value ?? /^Practitioner\/([^/]+)$/.exec(r.reference ?? '')?.[1] ?? '';
  const parts = (r.display ?? '').trim().split(/\s+/).filter(Boolean);
  const family = parts.length > 1 ? parts[parts.length - 1]! : (parts[0] ?? '');
  const given = parts.length > 1 ? parts.slice(0, -1).join(' ') : '';
  return [id, family, given];
}

const INTERPRETATION_SYSTEMS = new Set([
  'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  'http://terminology.hl7.org/CodeSystem/v2-0078',
  'http://hl7.org/fhir/v2/0078',
]);

/** Observation.interpretation → OBX-8 with HL7 table 0078 codes (H, L, A, N, HH, LL, …), not a URI. */
export function interpretationCwe(cc: CodeableConcept): ComponentIn[] {
  const c = (cc.coding ?? []).find((x) => INTERPRETATION_SYSTEMS.has(x.system ?? '')) ?? cc.coding?.[0];
  if (!c?.code) return cc.text ? ['', cc.text] : [];
  return [c.code, c.display ?? '', 'HL70078'];
}
