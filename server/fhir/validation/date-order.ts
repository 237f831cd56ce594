/**
 * Ordering of FHIR date / dateTime / instant strings as FHIRPath compares them: values are compared on the
 * precision both have; when they are equal there and one is more precise, the order is unknown.
 */
export type DateOrder = 'before' | 'same' | 'after' | 'unknown' | 'invalid';

const DATE_TIME =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

export function compareDateTimes(a: string, b: string): DateOrder {
  const x = parts(a);
  const y = parts(b);
  if (!x || !y) return 'invalid';
  const common = Math.min(x.length, y.length);
  // With a time part on both sides, compare instants (time zones normalised) when both are fully precise.
  if (x.length >= 5 && y.length >= 5 && x.length === y.length) {
    const diff = Date.parse(withZone(a)) - Date.parse(withZone(b));
    if (!Number.isNaN(diff)) return diff < 0 ? 'before' : diff > 0 ? 'after' : 'same';
  }
  for (let i = 0; i < common; i++) {
    const xi = x[i]!; // i < common: present on both sides
    const yi = y[i]!;
    if (xi < yi) return 'before';
    if (xi > yi) return 'after';
  }
  return x.length === y.length ? 'same' : 'unknown';
}

/** The numeric components present: year, month, day, hour, minute, second (fraction folded in). */
function parts(value: string): number[] | undefined {
  const m = DATE_TIME.exec(value);
  if (!m) return undefined;
  const out: number[] = [];
  for (let i = 1; i <= 6; i++) {
    if (m[i] === undefined) break;
    out.push(i === 6 && m[7] ? Number(`${m[6]}.${m[7]}`) : Number(m[i]));
  }
  return out;
}

function withZone(value: string): string {
  return /Z|[+-]\d{2}:\d{2}$/.test(value) ? value : `${value}Z`;
}
