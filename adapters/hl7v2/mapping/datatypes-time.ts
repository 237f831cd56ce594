/** DTM / DT / TM → FHIR dateTime, date, instant, time. Malformed values are data type errors (102). */
import type { V2Value } from '../parser/hl7-message.js';
import { fail, txt, type TransformContext } from './transform-context.js';

const DTM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/;

interface Parts {
  y: string;
  mo?: string;
  d?: string;
  h?: string;
  mi?: string;
  s?: string;
  frac?: string;
  tz?: string;
}

export function parseDtm(ctx: TransformContext, raw: string): Parts | undefined {
  if (!raw) return undefined;
  const m = DTM.exec(raw.trim());
  if (!m)
    return fail(ctx, `${JSON.stringify(raw)} is not a valid HL7 date/time (YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ])`);
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  const bad =
    (mo && (+mo < 1 || +mo > 12)) ||
    (d && (+d < 1 || +d > 31)) ||
    (h && +h > 23) ||
    (mi && +mi > 59) ||
    (s && +s > 60) ||
    (tz && (+tz.slice(1, 3) > 14 || +tz.slice(3) > 59));
  if (bad) return fail(ctx, `${JSON.stringify(raw)} has an out-of-range date/time part`);
  if (mo && d && new Date(`${y}-${mo}-${d}T00:00:00Z`).getUTCMonth() + 1 !== +mo)
    return fail(ctx, `${JSON.stringify(raw)} is not a calendar date`);
  return { y: y!, mo, d, h, mi, s, frac, tz };
}

function tzOf(p: Parts, ctx: TransformContext): string {
  return p.tz ? `${p.tz.slice(0, 3)}:${p.tz.slice(3)}` : ctx.options.defaultTimezone;
}

function dateOf(p: Parts): string {
  return [p.y, p.mo, p.mo && p.d].filter(Boolean).join('-');
}

export function dtmToDateTime(ctx: TransformContext, v: V2Value): string | undefined {
  const p = parseDtm(ctx, txt(ctx, v));
  if (!p) return undefined;
  if (!p.h || !p.d) return dateOf(p);
  return `${dateOf(p)}T${p.h}:${p.mi ?? '00'}:${p.s ?? '00'}${p.frac ?? ''}${tzOf(p, ctx)}`;
}

export function dtmToDate(ctx: TransformContext, v: V2Value): string | undefined {
  const p = parseDtm(ctx, txt(ctx, v));
  return p ? dateOf(p) : undefined;
}

export function dtmToInstant(ctx: TransformContext, v: V2Value): string | undefined {
  const p = parseDtm(ctx, txt(ctx, v));
  if (!p) return undefined;
  return `${p.y}-${p.mo ?? '01'}-${p.d ?? '01'}T${p.h ?? '00'}:${p.mi ?? '00'}:${p.s ?? '00'}${p.frac ?? ''}${tzOf(p, ctx)}`;
}

export function tmToTime(ctx: TransformContext, v: V2Value): string | undefined {
  const raw = txt(ctx, v);
  if (!raw) return undefined;
  const m = /^(\d{2})(\d{2})?(\d{2})?(\.\d{1,4})?([+-]\d{4})?$/.exec(raw);
  if (!m || +m[1]! > 23 || +(m[2] ?? 0) > 59 || +(m[3] ?? 0) > 59)
    return fail(ctx, `${JSON.stringify(raw)} is not a valid HL7 time`);
  return `${m[1]}:${m[2] ?? '00'}:${m[3] ?? '00'}`;
}

/** DR (date range) → Period. */
export function drToPeriod(ctx: TransformContext, v: V2Value): { start?: string; end?: string } | undefined {
  const start = dtmToDateTime(ctx, [[v[0]?.[0] ?? '']]);
  const end = dtmToDateTime(ctx, [[v[1]?.[0] ?? '']]);
  return start || end ? { ...(start ? { start } : {}), ...(end ? { end } : {}) } : undefined;
}
