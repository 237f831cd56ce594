/**
 * Value normalisation shared by index extraction (write time) and query parsing (search time),
 * so that both sides of every comparison are shaped the same way.
 */

import { foldText } from './text/fold-text.js';

/**
 * Lower case, accents and other combining marks removed (tashkeel and the hamza forms of alef included), Unicode
 * spaces as one space, trimmed, plus the documented Arabic folds (ة/ه, ى/ي, compound names): see text/fold-text.ts.
 */
export function normalizeString(value: string): string {
  return foldText(value);
}

const DATE_PATTERN =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

/**
 * The inclusive instant range (epoch ms) that a FHIR date, dateTime or instant covers at its precision:
 * `2020` → the whole year, `2020-03-04` → that day, `2020-03-04T10:00:00Z` → that second.
 * Values without a time zone are read as UTC. Returns undefined for text that is not a FHIR date.
 */
export function dateRange(value: string): { low: number; high: number } | undefined {
  const m = DATE_PATTERN.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const year = Number(y);
  const offsetMs = zoneOffsetMs(zone);
  if (mo === undefined) {
    return { low: Date.UTC(year, 0, 1), high: Date.UTC(year + 1, 0, 1) - 1 };
  }
  const month = Number(mo) - 1;
  if (month < 0 || month > 11) return undefined;
  if (d === undefined) {
    return { low: Date.UTC(year, month, 1), high: Date.UTC(year, month + 1, 1) - 1 };
  }
  const day = Number(d);
  if (day < 1 || day > new Date(Date.UTC(year, month + 1, 0)).getUTCDate()) return undefined;
  if (h === undefined) {
    return { low: Date.UTC(year, month, day), high: Date.UTC(year, month, day + 1) - 1 };
  }
  const base = Date.UTC(year, month, day, Number(h), Number(mi)) - offsetMs;
  if (s === undefined) return { low: base, high: base + 60_000 - 1 };
  const secondStart = base + Number(s) * 1000;
  if (frac === undefined) return { low: secondStart, high: secondStart + 999 };
  const digits = Math.min(frac.length, 3);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  const step = 10 ** (3 - digits);
  return { low: secondStart + ms, high: secondStart + ms + step - 1 };
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  return sign * ((hh ?? 0) * 60 + (mm ?? 0)) * 60_000;
}

/**
 * The implicit range of a decimal as written: `5.4` → [5.35, 5.45), `100` → [99.5, 100.5),
 * `1e2` → [50, 150). The high bound is returned exclusive-as-inclusive (callers compare with le/ge).
 */
export function numberRange(written: string | number): { value: number; low: number; high: number } | undefined {
  const text = String(written).trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const [mantissa, exponentText] = text.toLowerCase().split('e');
  const exponent = Number(exponentText ?? 0);
  const decimals = (mantissa!.split('.')[1] ?? '').length;
  const halfStep = 0.5 * 10 ** (exponent - decimals);
  return { value, low: value - halfStep, high: value + halfStep };
}
