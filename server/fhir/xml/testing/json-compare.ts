/**
 * For the XML tests: JSON compared as the store would keep it — members in any order, numbers as written (1.50 is
 * not 1.5), arrays in order — and narratives compared as XHTML (parsed; whitespace-only text between tags ignored).
 */
import { SaxesParser } from 'saxes';
import { copyNumberTexts } from '../../../json/number-texts.js';
import { stringifyJson } from '../../../json/stringify-json.js';

function sorted(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return copyNumberTexts(value, value.map(sorted));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sorted((value as Record<string, unknown>)[key]);
  return copyNumberTexts(value, out);
}

/** JSON text with sorted members and numbers as written. */
export function canonicalJson(value: unknown): string {
  return stringifyJson(sorted(value), 1);
}

/** The XHTML's content as events: elements, attributes, entity-decoded text; whitespace-only text dropped. */
export function xhtmlEvents(div: string): string[] {
  const events: string[] = [];
  const parser = new SaxesParser({ xmlns: true });
  parser.on('opentag', (n) => {
    const attrs = Object.values(n.attributes)
      .filter((a) => a.prefix !== 'xmlns' && a.name !== 'xmlns')
      .map((a) => `${a.uri}|${a.local}=${a.value}`)
      .sort();
    events.push(`<${n.uri}|${n.local} ${attrs.join(' ')}>`);
  });
  parser.on('closetag', (n) => events.push(`</${n.local}>`));
  parser.on('text', (t) => {
    if (t.trim() !== '') events.push(t);
  });
  parser.write(div).close();
  return events;
}

/** Replaces every narrative div (a string at `div`) by its XHTML events, for a comparison of content. */
export function withXhtmlEvents(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withXhtmlEvents);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = k === 'div' && typeof v === 'string' ? xhtmlEvents(v) : withXhtmlEvents(v);
  }
  return copyNumberTexts(value, out);
}
