/**
 * The JSON reader of every request body: strict and lossless.
 * - Refuses what JSON or FHIR forbids and JSON.parse accepts: duplicate keys (JSON.parse keeps the last),
 *   lone surrogates, `__proto__` keys — a JsonInputError naming the path. A leading BOM is skipped.
 * - Keeps the text of numbers that String(value) would not give back (1.50, 6.0, 1E-22) on their holders
 *   (number-texts.ts); values stay plain numbers.
 * The common body (no `\u` escape, no such number, no duplicate) costs one JSON.parse plus a scan of the text
 * and a count of the parsed members (json-scan.ts); numbers with texts add JSON.parse's reviver; anything
 * else goes through the strict parser, which also says precisely where malformed JSON breaks.
 */
import { scanJson } from './json-scan.js';
import { isWellFormed, JsonInputError } from './json-input-error.js';
import { needsText, setNumberText } from './number-texts.js';
import { parseStrictJson } from './strict-json-parser.js';

/** JSON.parse's reviver with source text access (Node 22: the JSON.parse source text proposal). */
type SourceContext = { source?: string };

function rememberText(this: object, key: string, value: unknown, context?: SourceContext): unknown {
  if (typeof value === 'number' && context?.source !== undefined && needsText(value, context.source)) {
    setNumberText(this, key, context.source);
  }
  return value;
}

const parseWithSource = JSON.parse as (
  text: string,
  reviver: (this: object, key: string, value: unknown, context?: SourceContext) => unknown,
) => unknown;

export function parseJson(input: string): unknown {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const scan = scanJson(text);
  if (scan === undefined || scan.escapes || text.includes('__proto__') || !isWellFormed(text)) {
    return parseStrictJson(text);
  }
  let value: unknown;
  try {
    value = scan.numbers ? parseWithSource(text, rememberText) : JSON.parse(text);
  } catch {
    return parseStrictJson(text); // malformed: the strict parser says where
  }
  if (countMembers(value) !== scan.keys) return parseStrictJson(text); // a duplicate key: the strict parser names it
  return value;
}

function countMembers(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object') n += countMembers(item);
    return n;
  }
  for (const key in value) {
    n++;
    const child = (value as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object') n += countMembers(child);
  }
  return n;
}

export { JsonInputError };
