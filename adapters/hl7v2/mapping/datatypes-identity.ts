/** CX, EI, HD, XCN, XON, PL → Identifier / Reference. */
import type { Identifier, Reference } from '@medplum/fhirtypes';
import { component, type V2Value } from '../parser/hl7-message.js';
import { compact, txt, type TransformContext } from './transform-context.js';
import { dtmToDateTime } from './datatypes-time.js';
import { cweToCodeableConcept } from './datatypes-coded.js';

/** HD (namespace^universal id^type) → a system URI. */
export function hdToSystem(ctx: TransformContext, hd: V2Value): string | undefined {
  const ns = txt(ctx, hd, 1);
  const uid = txt(ctx, hd, 2);
  const type = txt(ctx, hd, 3).toUpperCase();
  if (uid) {
    if (type === 'ISO' || /^\d+(\.\d+)+$/.test(uid)) return `urn:oid:${uid}`;
    if (type === 'UUID') return `urn:uuid:${uid.toLowerCase()}`;
    if (type === 'URI' || /^[a-z][a-z0-9+.-]*:/i.test(uid)) return uid;
  }
  const name = ns || uid;
  if (!name) return undefined;
  return (
    ctx.tables.lookup('IdentifierSystem', name)?.code ??
    `${ctx.options.identifierSystemBase}${encodeURIComponent(name)}`
  );
}

/** The sending facility's namespace: the default scope of identifiers that name no assigning authority. */
export function senderSystem(ctx: TransformContext): string | undefined {
  const msh4 = ctx.msg.msh.fields[4]?.[0];
  const msh3 = ctx.msg.msh.fields[3]?.[0];
  return (msh4 && hdToSystem(ctx, msh4)) || (msh3 && hdToSystem(ctx, msh3)) || undefined;
}

export function cxToIdentifier(ctx: TransformContext, v: V2Value): Identifier | undefined {
  const value = txt(ctx, v, 1);
  if (!value) return undefined;
  const authority = component(v, 4);
  const typeCode = txt(ctx, v, 5);
  const start = dtmToDateTime(ctx, component(v, 7));
  const end = dtmToDateTime(ctx, component(v, 8));
  return compact<Identifier>({
    value,
    system: hdToSystem(ctx, authority) ?? senderSystem(ctx),
    type: typeCode
      ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: typeCode }] }
      : undefined,
    period: start || end ? { start, end } : undefined,
    assigner: txt(ctx, authority, 1) ? { display: txt(ctx, authority, 1) } : undefined,
  });
}

/** EI (entity id^namespace^universal id^type) → Identifier. */
export function eiToIdentifier(ctx: TransformContext, v: V2Value): Identifier | undefined {
  const value = txt(ctx, v, 1);
  if (!value) return undefined;
  const hd: V2Value = [v[1] ?? [''], v[2] ?? [''], v[3] ?? ['']];
  return compact<Identifier>({ value, system: hdToSystem(ctx, hd) ?? senderSystem(ctx) });
}

function personName(ctx: TransformContext, v: V2Value, familyAt: number): string {
  // prefix, given, middle, family, suffix
  return [
    txt(ctx, v, familyAt + 4),
    txt(ctx, v, familyAt + 1),
    txt(ctx, v, familyAt + 2),
    txt(ctx, v, familyAt),
    txt(ctx, v, familyAt + 3),
  ]
    .filter(Boolean)
    .join(' ');
}

/** XCN (id^family^given^…^assigning authority(9)) → a logical Reference (identifier + display). */
export function xcnToReference(ctx: TransformContext, v: V2Value): Reference | undefined {
  const id = txt(ctx, v, 1);
  const display = personName(ctx, v, 2);
  if (!id && !display) return undefined;
  const system = hdToSystem(ctx, component(v, 9)) ?? senderSystem(ctx);
  return compact<Reference>({
    type: 'Practitioner',
    identifier: id ? { value: id, system } : undefined,
    display: display || undefined,
  });
}

/** XON (name^^^^^assigning authority(6)^^^^id(10)) → Reference to an Organization by display / identifier. */
export function xonToReference(ctx: TransformContext, v: V2Value): Reference | undefined {
  const name = txt(ctx, v, 1);
  const id = txt(ctx, v, 10) || txt(ctx, v, 3);
  if (!name && !id) return undefined;
  return compact<Reference>({
    type: 'Organization',
    display: name || undefined,
    identifier: id ? { value: id, system: hdToSystem(ctx, component(v, 6)) } : undefined,
  });
}

/** PL (point of care^room^bed^facility…) → Reference to a Location by display. */
export function plToReference(ctx: TransformContext, v: V2Value): Reference | undefined {
  const parts = [txt(ctx, v, 1), txt(ctx, v, 2), txt(ctx, v, 3), txt(ctx, component(v, 4), 1)].filter(Boolean);
  const desc = txt(ctx, v, 9);
  if (parts.length === 0 && !desc) return undefined;
  return { type: 'Location', display: parts.join(' ') || desc };
}

/** CWE used as an identifier (e.g. an assigned code) → Identifier. */
export function cweToIdentifier(ctx: TransformContext, v: V2Value): Identifier | undefined {
  const cc = cweToCodeableConcept(ctx, v);
  const c = cc?.coding?.[0];
  return c?.code ? compact<Identifier>({ value: c.code, system: c.system }) : undefined;
}
