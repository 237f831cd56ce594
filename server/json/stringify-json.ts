/**
 * JSON.stringify that writes numbers with the text they were read with (number-texts.ts): 1.50 stays 1.50.
 * Only a value that holds such texts takes the replacer (JSON.rawJSON); everything else is a plain
 * JSON.stringify.
 */
import { hasNumberTexts, numberTextOf } from './number-texts.js';

// eslint-disable-next-line @typescript-eslint/unbound-method -- JSON.rawJSON is a static function
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

function writeTexts(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    const text = numberTextOf(this, key);
    if (text !== undefined) return rawJSON(text);
  }
  return value;
}

export function stringifyJson(value: unknown, space?: number): string {
  return hasNumberTexts(value) ? JSON.stringify(value, writeTexts, space) : JSON.stringify(value, null, space);
}
