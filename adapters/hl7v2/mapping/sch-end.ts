/**
 * Appointment end (FHIR requires end whenever start is given): SCH-11.5 (TQ end), else SCH-11.4 (TQ start)
 * plus the appointment duration SCH-9 in SCH-10 units (minutes when not stated). Reads the SCH segment itself.
 */
import type { V2Value } from '../parser/hl7-message.js';
import { component } from '../parser/hl7-message.js';
import { txt, type TransformContext } from './transform-context.js';
import { dtmToInstant } from './datatypes-time.js';
import { parseNumber } from './obx-value.js';

const UNIT_MS: Record<string, number> = {
  S: 1000,
  SEC: 1000,
  M: 60_000,
  MIN: 60_000,
  H: 3_600_000,
  HR: 3_600_000,
  HOUR: 3_600_000,
  D: 86_400_000,
};

export function schEnd(ctx: TransformContext, tq: V2Value): string | undefined {
  const end = dtmToInstant(ctx, component(tq, 5));
  if (end) return end;
  const start = dtmToInstant(ctx, component(tq, 4));
  const sch = ctx.segment;
  const duration = parseNumber(ctx, txt(ctx, sch.fields[9]?.[0]));
  if (!start || duration === undefined) return undefined;
  const unit = txt(ctx, sch.fields[10]?.[0]).toUpperCase() || 'MIN';
  const ms = UNIT_MS[unit] ?? 60_000;
  const offset = start.slice(19).replace(/^\.\d+/, '');
  const startMs = Date.parse(start);
  const local = new Date(startMs + duration * ms + offsetMinutes(offset) * 60_000).toISOString().slice(0, 19);
  return `${local}${offset}`;
}

function offsetMinutes(tz: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(tz);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

/** Appointment start: SCH-11.4, only when an end can be given too (FHIR invariant app-3). */
export function schStart(ctx: TransformContext, tq: V2Value): string | undefined {
  return schEnd(ctx, tq) ? dtmToInstant(ctx, component(tq, 4)) : undefined;
}
