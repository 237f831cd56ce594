import { dateRange } from '../../../indexing/normalize.js';
import type { IndexEntry } from '../../../indexing/index-entry.js';
import {
  asObject,
  asString,
  MAX_INSTANT,
  MIN_INSTANT,
  type Extractor,
} from '../../../indexing/extractors/extractor.js';

/**
 * date/dateTime/instant (the range their precision covers), Period (low of start, high of end; an open
 * end reaches MIN_INSTANT/MAX_INSTANT), Timing (from the earliest to the latest event, else its
 * repeat.boundsPeriod).
 */
export const extractDate: Extractor = (param, { type, value }, out) => {
  switch (type) {
    case 'Period': {
      pushPeriod(param, asObject(value), out);
      return;
    }
    case 'Timing': {
      const timing = asObject(value);
      if (!timing) return;
      let low = Infinity;
      let high = -Infinity;
      if (Array.isArray(timing.event)) {
        for (const event of timing.event) {
          const range = typeof event === 'string' ? dateRange(event) : undefined;
          if (!range) continue;
          low = Math.min(low, range.low);
          high = Math.max(high, range.high);
        }
      }
      if (low <= high) out.push({ kind: 'date', param, low, high });
      else pushPeriod(param, asObject(asObject(timing.repeat)?.boundsPeriod), out);
      return;
    }
    default: {
      const range = typeof value === 'string' ? dateRange(value) : undefined;
      if (range) out.push({ kind: 'date', param, low: range.low, high: range.high });
    }
  }
};

function pushPeriod(param: string, period: Record<string, unknown> | undefined, out: IndexEntry[]): void {
  if (!period) return;
  const start = asString(period.start);
  const end = asString(period.end);
  if (start === undefined && end === undefined) return;
  const startRange = start === undefined ? undefined : dateRange(start);
  const endRange = end === undefined ? undefined : dateRange(end);
  if ((start !== undefined && !startRange) || (end !== undefined && !endRange)) return;
  const low = startRange?.low ?? MIN_INSTANT;
  const high = endRange?.high ?? MAX_INSTANT;
  if (low > high) return;
  out.push({ kind: 'date', param, low, high });
}
