/** XPN → HumanName, XAD → Address, XTN → ContactPoint (IG datatype maps). */
import type { Address, ContactPoint, HumanName } from '@medplum/fhirtypes';
import { component, type V2Value } from '../parser/hl7-message.js';
import { compact, txt, type TransformContext } from './transform-context.js';
import { dtmToDateTime } from './datatypes-time.js';

function mapped(ctx: TransformContext, table: string, code: string): string | undefined {
  return code ? ctx.tables.lookup(table, code)?.code : undefined;
}

function period(ctx: TransformContext, v: V2Value, startAt: number) {
  const start = dtmToDateTime(ctx, component(v, startAt));
  const end = dtmToDateTime(ctx, component(v, startAt + 1));
  return start || end ? { start, end } : undefined;
}

export function xpnToHumanName(ctx: TransformContext, v: V2Value): HumanName | undefined {
  return compact<HumanName>({
    family: txt(ctx, v, 1, 1) || undefined,
    given: [txt(ctx, v, 2), txt(ctx, v, 3)].filter(Boolean),
    suffix: [txt(ctx, v, 4), txt(ctx, v, 6)].filter(Boolean),
    prefix: [txt(ctx, v, 5)].filter(Boolean),
    use: mapped(ctx, 'NameType', txt(ctx, v, 7)) as HumanName['use'],
    period: period(ctx, v, 12),
  });
}

/** XPN as a plain string (e.g. mother's maiden name). */
export function xpnToString(ctx: TransformContext, v: V2Value): string | undefined {
  return [txt(ctx, v, 2), txt(ctx, v, 3), txt(ctx, v, 1, 1)].filter(Boolean).join(' ') || undefined;
}

export function xadToAddress(ctx: TransformContext, v: V2Value): Address | undefined {
  const type = txt(ctx, v, 7);
  return compact<Address>({
    line: [txt(ctx, v, 1, 1), txt(ctx, v, 2), txt(ctx, v, 19)].filter(Boolean),
    city: txt(ctx, v, 3) || undefined,
    state: txt(ctx, v, 4) || undefined,
    postalCode: txt(ctx, v, 5) || undefined,
    country: txt(ctx, v, 6) || undefined,
    district: txt(ctx, v, 9) || undefined,
    use: mapped(ctx, 'AddressType[Use]', type) as Address['use'],
    type: type === 'M' ? 'postal' : type === 'SH' ? 'physical' : undefined,
    period: period(ctx, v, 12),
  });
}

export function xtnToContactPoint(ctx: TransformContext, v: V2Value): ContactPoint | undefined {
  const useCode = txt(ctx, v, 2);
  const equipment = txt(ctx, v, 3);
  const email = txt(ctx, v, 4);
  const equip = equipment ? ctx.tables.lookup('TelecommunicationEquipmentType', equipment) : undefined;
  // The IG maps CP (cellular phone) to a use (mobile), not to a system.
  const equipIsUse = equip?.system === 'http://hl7.org/fhir/contact-point-use';
  let system = (equipIsUse ? 'phone' : equip?.code) as ContactPoint['system'];
  let value: string | undefined;
  if (email && (equipment === 'Internet' || equipment === 'X.400' || useCode === 'NET' || !txt(ctx, v, 1))) {
    value = email;
    system = 'email';
  } else {
    const built = [
      txt(ctx, v, 5) && `+${txt(ctx, v, 5)}`,
      txt(ctx, v, 6) && `(${txt(ctx, v, 6)})`,
      txt(ctx, v, 7),
      txt(ctx, v, 8) && `ext. ${txt(ctx, v, 8)}`,
    ]
      .filter(Boolean)
      .join(' ');
    // IG XTN[ContactPoint]: XTN-12 (unformatted number) first, then XTN-1, then the number built from XTN-5..8.
    value = txt(ctx, v, 12) || txt(ctx, v, 1) || built || undefined;
    system ??= value ? 'phone' : undefined;
  }
  if (!value) return undefined;
  return compact<ContactPoint>({
    system,
    value,
    use: (mapped(ctx, 'TelecommunicationUseCode', useCode) ??
      (equipIsUse ? equip?.code : undefined)) as ContactPoint['use'],
    period: period(ctx, v, 13),
  });
}
