/**
 * OBX-5 by OBX-2 value type → Observation.value[x]; OBX-6 units, OBX-7 reference range; NM/SN/CQ quantities.
 * A value that does not fit its declared type is a data type error (102) — the message is answered AE.
 */
import type { Attachment, Quantity, Range, Ratio } from '@medplum/fhirtypes';
import { component, fieldReps, type V2Value } from '../parser/hl7-message.js';
import { compact, fail, txt, type TransformContext } from './transform-context.js';
import { dtmToDateTime, tmToTime } from './datatypes-time.js';
import { cweToCodeableConcept } from './datatypes-coded.js';

/** A value whose FHIR element name depends on its type: `value[x]` becomes `value${type}`. */
export interface TypedValue {
  readonly typed: string;
  readonly value: unknown;
}

/** Value types that cannot have components (a component separator in them is a data type error). */
const PRIMITIVE = new Set(['NM', 'DT', 'DTM', 'TS', 'TM']);
const TEXT = new Set(['ST', 'TX', 'FT']);

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

export function parseNumber(ctx: TransformContext, raw: string): number | undefined {
  const s = raw.trim();
  if (!s) return undefined;
  if (!NUMBER.test(s)) return fail(ctx, `${JSON.stringify(s)} is not a number`);
  return Number(s);
}

/** OBX-6 (units CWE) of the current segment → the unit part of a Quantity. */
export function unitsOf(ctx: TransformContext): Pick<Quantity, 'unit' | 'system' | 'code'> {
  const u = ctx.segment.fields[6]?.[0];
  const code = txt(ctx, u, 1);
  const text = txt(ctx, u, 2);
  const sys = txt(ctx, u, 3);
  if (!code && !text) return {};
  // A unit is coded only when its coding system is named (OBX-6.3): a bare "mg/dL" is a unit text, not UCUM.
  const system = ctx.tables.system(sys);
  return (
    compact({ unit: text || code, system: code ? system : undefined, code: code && system ? code : undefined }) ?? {}
  );
}

function quantity(ctx: TransformContext, raw: string): Quantity | undefined {
  const value = parseNumber(ctx, raw);
  return value === undefined ? undefined : { value, ...unitsOf(ctx) };
}

/** SN: comparator^num1^separator^num2 → Quantity (with comparator), Range or Ratio. */
function structuredNumeric(ctx: TransformContext, v: V2Value): TypedValue | undefined {
  const comparator = txt(ctx, v, 1);
  const n1 = txt(ctx, v, 2);
  const sep = txt(ctx, v, 3);
  const n2 = txt(ctx, v, 4);
  if (sep === ':' || sep === '/') {
    return { typed: 'Ratio', value: compact<Ratio>({ numerator: quantity(ctx, n1), denominator: quantity(ctx, n2) }) };
  }
  if (sep === '-')
    return { typed: 'Range', value: compact<Range>({ low: quantity(ctx, n1), high: quantity(ctx, n2) }) };
  const q = quantity(ctx, n1);
  if (!q) return undefined;
  const cmp = ['<', '<=', '>', '>='].includes(comparator) ? (comparator as Quantity['comparator']) : undefined;
  if (comparator && !cmp && comparator !== '=')
    fail(ctx, `SN comparator ${JSON.stringify(comparator)} is not one of > < >= <= =`);
  return { typed: 'Quantity', value: cmp ? { ...q, comparator: cmp } : q };
}

/** OBX-5 (all repetitions) according to OBX-2. */
export function obxValue(ctx: TransformContext): TypedValue | undefined {
  const seg = ctx.segment;
  const type = txt(ctx, seg.fields[2]?.[0], 1).toUpperCase();
  const reps = fieldReps(seg, 5);
  const first = reps[0];
  if (!first) return undefined;
  if (PRIMITIVE.has(type) && reps.some((r) => r.length > 1 || r.some((c) => c.length > 1))) {
    fail(
      ctx,
      `OBX-2 declares the primitive type ${type} but OBX-5 has components (${ctx.msg.delimiters.component}) or subcomponents`,
    );
  }
  // Text declared but components sent (a coded value as ST): the text is kept, components joined with '^'.
  if (TEXT.has(type) && reps.some((r) => r.length > 1)) {
    return {
      typed: 'String',
      value: reps.map((r) => r.map((c) => c.map((x) => ctx.msg.text([[x]])).join('&')).join('^')).join('\n'),
    };
  }
  switch (type) {
    case 'NM': {
      const q = quantity(ctx, txt(ctx, first));
      return q ? { typed: 'Quantity', value: q } : undefined;
    }
    case 'SN':
      return structuredNumeric(ctx, first);
    case 'NR': {
      // Numeric range low^high (IG NR[Range]).
      const range = compact<Range>({ low: quantity(ctx, txt(ctx, first, 1)), high: quantity(ctx, txt(ctx, first, 2)) });
      return range ? { typed: 'Range', value: range } : undefined;
    }
    case 'CE':
    case 'CWE':
    case 'CNE':
    case 'CF': {
      const cc = cweToCodeableConcept(ctx, first);
      return cc ? { typed: 'CodeableConcept', value: cc } : undefined;
    }
    case 'DT':
    case 'DTM':
    case 'TS':
      return { typed: 'DateTime', value: dtmToDateTime(ctx, first) };
    case 'TM':
      return { typed: 'Time', value: tmToTime(ctx, first) };
    case 'ST':
    case 'TX':
    case 'FT':
    case 'ID':
    case 'IS':
    case '':
      return { typed: 'String', value: reps.map((r) => ctx.msg.text(r, 1)).join('\n') };
    default:
      // Composite types (CX, XAD, XPN, XTN, HD, RP, ED, …): keep the text, components joined with '^'.
      return {
        typed: 'String',
        value: reps
          .map((r) =>
            r
              .map((c) => c.map((s) => ctx.msg.text([[s]])).join('&'))
              .join('^')
              .replace(/[\^&]+$/, ''),
          )
          .join('\n'),
      };
  }
}

/** OBX-7 "3.5-5.0" / "<5" / ">10" / text → referenceRange. */
export function referenceRange(ctx: TransformContext, v: V2Value): object | undefined {
  const raw = txt(ctx, v, 1);
  if (!raw) return undefined;
  const units = unitsOf(ctx);
  const num = (s: string) => (NUMBER.test(s.trim()) ? { value: Number(s.trim()), ...units } : undefined);
  const range = /^\s*([+-]?[\d.]+)\s*-\s*([+-]?[\d.]+)\s*$/.exec(raw);
  if (range && num(range[1]!) && num(range[2]!)) return { low: num(range[1]!), high: num(range[2]!), text: raw };
  const lt = /^\s*<=?\s*([\d.]+)\s*$/.exec(raw);
  if (lt && num(lt[1]!)) return { high: num(lt[1]!), text: raw };
  const gt = /^\s*>=?\s*([\d.]+)\s*$/.exec(raw);
  if (gt && num(gt[1]!)) return { low: num(gt[1]!), text: raw };
  return { text: raw };
}

/**
 * A document's bytes as an Attachment with `data`. However large (up to what MLLP framing and MAX_CONTENT_BYTES let
 * through), the FHIR write moves them into the content store as a Binary and the stored DocumentReference carries
 * url/size/hash instead (server/fhir/binary/document-attachments.ts): no size limit here. A document past the server's
 * content limit is refused there with 413 (AE, permanent: not queued).
 */
export function inlineAttachment(contentType: string, base64: string): Attachment {
  return { contentType, data: base64 };
}

/** ED (source^type^subtype^encoding^data) → Attachment. */
export function edToAttachment(ctx: TransformContext, v: V2Value): Attachment | undefined {
  const type = txt(ctx, v, 2);
  const subtype = txt(ctx, v, 3);
  const encoding = txt(ctx, v, 4).toUpperCase();
  const data = ctx.msg.text(v, 5);
  if (!data) return undefined;
  const contentType = subtype.includes('/')
    ? subtype
    : type && subtype
      ? `${type.toLowerCase()}/${subtype.toLowerCase()}`
      : 'application/octet-stream';
  const base64 =
    encoding === 'BASE64' || encoding === 'B64'
      ? data.replace(/\s+/g, '')
      : Buffer.from(data, 'utf8').toString('base64');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) fail(ctx, 'ED data is not valid base64');
  return inlineAttachment(contentType, base64);
}

/** CQ (quantity^units) → Quantity. */
export function cqToQuantity(ctx: TransformContext, v: V2Value): Quantity | undefined {
  const value = parseNumber(ctx, txt(ctx, v, 1));
  if (value === undefined) return undefined;
  const u = component(v, 2);
  const code = txt(ctx, u, 1);
  const system = code ? ctx.tables.system(txt(ctx, u, 3)) : undefined;
  return compact<Quantity>({
    value,
    unit: txt(ctx, u, 2) || code || undefined,
    code: system ? code : undefined,
    system,
  });
}
