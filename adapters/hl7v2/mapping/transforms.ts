/**
 * The closed list of named transforms a mapping rule may use. Each takes one v2 value (a field repetition or a
 * component) and returns a FHIR value, or undefined when there is nothing to map. No free-form code in mappings.
 */
import type { V2Value } from '../parser/hl7-message.js';
import { fail, txt, type TransformContext } from './transform-context.js';
import { drToPeriod, dtmToDate, dtmToDateTime, dtmToInstant, tmToTime } from './datatypes-time.js';
import { cweToCodeableConcept, cweToCoding, tableCodingOf, toCode } from './datatypes-coded.js';
import {
  cweToIdentifier,
  cxToIdentifier,
  eiToIdentifier,
  plToReference,
  xcnToReference,
  xonToReference,
} from './datatypes-identity.js';
import { xadToAddress, xpnToHumanName, xpnToString, xtnToContactPoint } from './datatypes-person.js';
import { schEnd, schStart } from './sch-end.js';
import { cqToQuantity, edToAttachment, inlineAttachment, obxValue, parseNumber, referenceRange } from './obx-value.js';

export const TRANSFORM_NAMES = [
  'string',
  'text',
  'code',
  'code.Coding',
  'boolean',
  'integer',
  'decimal',
  'positiveInt',
  'DTM',
  'DTM.date',
  'DTM.instant',
  'TM',
  'DR.Period',
  'CWE',
  'CWE.Coding',
  'CWE.Identifier',
  'CX',
  'EI',
  'XPN',
  'XPN.string',
  'XAD',
  'XTN',
  'XCN.Reference',
  'XON.Reference',
  'PL.Reference',
  'SCH.start',
  'SCH.end',
  'OBX.value',
  'OBX.referenceRange',
  'OBX.attachment',
  'ED.Attachment',
  'CQ.Quantity',
  'MO.Money',
  'NM.Quantity',
  'FT.Annotation',
] as const;
export type TransformName = (typeof TRANSFORM_NAMES)[number];

export function applyTransform(name: TransformName, ctx: TransformContext, v: V2Value): unknown {
  switch (name) {
    case 'string':
      return txt(ctx, v) || undefined;
    case 'text': // the whole value with line breaks kept (FT / TX)
      return ctx.msg.text(v, 1) || undefined;
    case 'code':
      return toCode(ctx, v);
    case 'code.Coding': // the table's coding for component 1, nothing for a code the table does not have
      return tableCodingOf(ctx, v);
    case 'boolean': {
      const s = txt(ctx, v).toUpperCase();
      if (!s) return undefined;
      if (s === 'Y' || s === 'YES' || s === 'TRUE' || s === '1') return true;
      if (s === 'N' || s === 'NO' || s === 'FALSE' || s === '0') return false;
      return fail(ctx, `${JSON.stringify(s)} is not Y or N`);
    }
    case 'integer':
    case 'positiveInt': {
      const n = parseNumber(ctx, txt(ctx, v));
      if (n === undefined) return undefined;
      if (!Number.isInteger(n) || (name === 'positiveInt' && n < 1))
        return fail(ctx, `${n} is not a${name === 'positiveInt' ? ' positive' : 'n'} integer`);
      return n;
    }
    case 'decimal':
      return parseNumber(ctx, txt(ctx, v));
    case 'DTM':
      return dtmToDateTime(ctx, v);
    case 'DTM.date':
      return dtmToDate(ctx, v);
    case 'DTM.instant':
      return dtmToInstant(ctx, v);
    case 'TM':
      return tmToTime(ctx, v);
    case 'DR.Period':
      return drToPeriod(ctx, v);
    case 'CWE':
      return cweToCodeableConcept(ctx, v);
    case 'CWE.Coding':
      return cweToCoding(ctx, v);
    case 'CWE.Identifier':
      return cweToIdentifier(ctx, v);
    case 'CX':
      return cxToIdentifier(ctx, v);
    case 'EI':
      return eiToIdentifier(ctx, v);
    case 'XPN':
      return xpnToHumanName(ctx, v);
    case 'XPN.string':
      return xpnToString(ctx, v);
    case 'XAD':
      return xadToAddress(ctx, v);
    case 'XTN':
      return xtnToContactPoint(ctx, v);
    case 'XCN.Reference':
      return xcnToReference(ctx, v);
    case 'XON.Reference':
      return xonToReference(ctx, v);
    case 'PL.Reference':
      return plToReference(ctx, v);
    case 'SCH.start':
      return schStart(ctx, v);
    case 'SCH.end':
      return schEnd(ctx, v);
    case 'OBX.value':
      return obxValue(ctx);
    case 'OBX.referenceRange':
      return referenceRange(ctx, v);
    case 'OBX.attachment': {
      // Document content: an ED value as is, any text value as text/plain.
      const type = txt(ctx, ctx.segment.fields[2]?.[0]).toUpperCase();
      if (type === 'ED') return edToAttachment(ctx, v);
      const text = ctx.msg.text(v, 1);
      return text
        ? inlineAttachment('text/plain; charset=utf-8', Buffer.from(text, 'utf8').toString('base64'))
        : undefined;
    }
    case 'ED.Attachment':
      return edToAttachment(ctx, v);
    case 'CQ.Quantity':
      return cqToQuantity(ctx, v);
    case 'MO.Money': {
      const value = parseNumber(ctx, txt(ctx, v, 1));
      return value === undefined ? undefined : { value, currency: txt(ctx, v, 2) || 'SDG' };
    }
    case 'NM.Quantity': {
      const value = parseNumber(ctx, txt(ctx, v, 1));
      return value === undefined ? undefined : { value };
    }
    case 'FT.Annotation': {
      const text = ctx.msg.text(v, 1);
      return text ? { text } : undefined;
    }
    default: {
      const never: never = name;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}
