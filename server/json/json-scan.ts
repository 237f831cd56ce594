/**
 * One cheap pass over JSON text that tells parse-json.ts whether the plain `JSON.parse` is enough:
 * - `keys`: how many object members the text has (compared with the members JSON.parse kept: fewer means a
 *   duplicate key, which JSON.parse silently resolves to the last one);
 * - `escapes`: some string has a `\u` escape (a lone surrogate or an escaped `__proto__` can hide there);
 * - `numbers`: some number may be written other than String(value) gives (a fraction ending in 0, an
 *   exponent, 16 or more digits, -0, or below 1e-6), so its text must be remembered.
 * It does not validate: on malformed text it returns undefined or a count that does not match, and the
 * strict parser then reports the problem.
 */

export type JsonScan = { keys: number; escapes: boolean; numbers: boolean };

const QUOTE = 34;
const COLON = 58;
const MINUS = 45;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const LOWER_E = 101;
const UPPER_E = 69;
const LOWER_U = 117;
const PLUS = 43;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export function scanJson(text: string): JsonScan | undefined {
  const n = text.length;
  let keys = 0;
  let escapes = false;
  let numbers = false;
  let nextBackslash = text.indexOf('\\');
  if (nextBackslash < 0) nextBackslash = n;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i++;
      for (;;) {
        const close = text.indexOf('"', i);
        if (close < 0) return undefined;
        if (nextBackslash < i) {
          nextBackslash = text.indexOf('\\', i);
          if (nextBackslash < 0) nextBackslash = n;
        }
        if (nextBackslash > close) {
          i = close + 1;
          break;
        }
        if (text.charCodeAt(nextBackslash + 1) === LOWER_U) escapes = true;
        i = nextBackslash + 2; // the escaped character (maybe a quote) is skipped
        nextBackslash = text.indexOf('\\', i);
        if (nextBackslash < 0) nextBackslash = n;
      }
      let d = text.charCodeAt(i);
      while (isSpace(d)) d = text.charCodeAt(++i);
      if (d === COLON) {
        keys++;
        i++;
      }
      continue;
    }
    if (c === MINUS || (c >= ZERO && c <= NINE)) {
      i = scanNumber(text, i);
      if (i < 0) {
        numbers = true;
        i = -i;
      }
      continue;
    }
    i++;
  }
  return { keys, escapes, numbers };
}

/** The index after the number at `start`; negated when its text may differ from String(Number(text)). */
function scanNumber(text: string, start: number): number {
  let i = start;
  if (text.charCodeAt(i) === MINUS) i++;
  const first = i;
  let digits = 0;
  let fraction = false;
  let lastFractionZero = false;
  let special = false;
  for (;;) {
    const d = text.charCodeAt(i);
    if (d >= ZERO && d <= NINE) {
      digits++;
      if (fraction) lastFractionZero = d === ZERO;
      i++;
    } else if (d === DOT) {
      fraction = true;
      i++;
    } else if (d === LOWER_E || d === UPPER_E) {
      special = true;
      i++;
      const sign = text.charCodeAt(i);
      if (sign === PLUS || sign === MINUS) i++;
    } else break;
  }
  if (i === start) return start + 1;
  const negativeZero =
    text.charCodeAt(start) === MINUS && text.charCodeAt(first) === ZERO && !hasNonZeroDigit(text, first, i);
  const tiny = text.charCodeAt(first) === ZERO && text.startsWith('.000000', first + 1);
  return special || lastFractionZero || digits >= 16 || negativeZero || tiny ? -i : i;
}

function hasNonZeroDigit(text: string, from: number, to: number): boolean {
  for (let k = from; k < to; k++) {
    const d = text.charCodeAt(k);
    if (d > ZERO && d <= NINE) return true;
  }
  return false;
}
