/**
 * The source text of JSON numbers whose text is not what `String(value)` gives back (1.50, 6.0, 12500.00,
 * 0.001530, 1E-22, 30-digit values). In FHIR the precision of a decimal is significant, so such a text must
 * come back exactly as written; the value itself stays a plain JS number (FHIRPath, validation, arithmetic).
 *
 * The text lives on the object or array that holds the number (its "holder"), in an enumerable symbol-keyed
 * record `{ key: text }`. Enumerable so that a spread or Object.assign copy keeps it; a symbol so that
 * JSON.stringify, Object.keys and for…in never see it. A text is used only while it still denotes the value
 * held (`Number(text) === holder[key]`): a changed value loses its old text by itself.
 */

const TEXTS = Symbol.for('nilecare.json.numberTexts');

type Holder = Record<string | symbol, unknown>;
type Texts = Record<string, string>;

/** One text of a resource, addressed from its root: [path of keys and array indexes, text]. */
export type NumberTextEntry = [path: Array<string | number>, text: string];

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function textsOf(holder: object): Texts | undefined {
  return (holder as Holder)[TEXTS] as Texts | undefined;
}

/** True when `text` is the way to write `value` that String() would not give. */
export function needsText(value: number, text: string): boolean {
  return text !== String(value);
}

/** Remembers that holder[key] was written as `text` (nothing when String(value) gives that text anyway). */
export function setNumberText(holder: object, key: string | number, text: string): void {
  const value = (holder as Holder)[String(key)];
  if (typeof value !== 'number' || !needsText(value, text)) {
    clearNumberText(holder, key);
    return;
  }
  // copy on write: a spread copy of the holder shares the record
  const texts = Object.assign(Object.create(null) as Texts, textsOf(holder));
  texts[String(key)] = text;
  (holder as Holder)[TEXTS] = texts;
}

export function clearNumberText(holder: object, key: string | number): void {
  const texts = textsOf(holder);
  if (texts !== undefined && String(key) in texts) {
    const copy = Object.assign(Object.create(null) as Texts, texts); // copy on write, as setNumberText
    delete copy[String(key)];
    (holder as Holder)[TEXTS] = copy;
  }
}

/** The text holder[key] was written with, when it differs from String(value) and still denotes the value. */
export function numberTextOf(holder: unknown, key: string | number): string | undefined {
  if (holder === null || typeof holder !== 'object') return undefined;
  const text = textsOf(holder)?.[String(key)];
  if (text === undefined) return undefined;
  const value = (holder as Holder)[String(key)];
  return typeof value === 'number' && Number(text) === value ? text : undefined;
}

/** The text of holder[key] as written: the remembered one, else String(value). */
export function writtenNumber(holder: unknown, key: string | number, value: number): string {
  return numberTextOf(holder, key) ?? String(value);
}

/** True when some object or array inside `value` (itself included) holds a remembered text. */
export function hasNumberTexts(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (textsOf(value) !== undefined) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (item !== null && typeof item === 'object' && hasNumberTexts(item)) return true;
    return false;
  }
  for (const key in value) {
    const child = (value as Holder)[key];
    if (child !== null && typeof child === 'object' && hasNumberTexts(child)) return true;
  }
  return false;
}

/** Every live text inside `value`, addressed from it; undefined when there is none (the common case). */
export function collectNumberTexts(value: unknown): NumberTextEntry[] | undefined {
  if (!hasNumberTexts(value)) return undefined;
  const out: NumberTextEntry[] = [];
  const path: Array<string | number> = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    const texts = textsOf(node);
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        if (texts !== undefined && typeof item === 'number') {
          const text = numberTextOf(node, i);
          if (text !== undefined) out.push([[...path, i], text]);
        }
        path.push(i);
        visit(item);
        path.pop();
      });
      return;
    }
    for (const key in node) {
      const child = (node as Holder)[key];
      if (typeof child === 'number') {
        if (texts !== undefined) {
          const text = numberTextOf(node, key);
          if (text !== undefined) out.push([[...path, key], text]);
        }
        continue;
      }
      path.push(key);
      visit(child);
      path.pop();
    }
  };
  visit(value);
  return out.length > 0 ? out : undefined;
}

/**
 * Puts texts kept by a store (collectNumberTexts) back on a freshly read value. Entries that no longer fit
 * (not a number there, another value, not a JSON number) are ignored.
 */
export function applyNumberTexts(root: unknown, entries: unknown): void {
  if (!Array.isArray(entries)) return;
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2) continue;
    const [path, text] = entry as [unknown, unknown];
    if (!Array.isArray(path) || path.length === 0 || typeof text !== 'string' || !JSON_NUMBER.test(text)) continue;
    let holder: unknown = root;
    for (const step of path.slice(0, -1)) {
      if (holder === null || typeof holder !== 'object') break;
      holder = (holder as Holder)[String(step)];
    }
    if (holder === null || typeof holder !== 'object') continue;
    const key = String(path.at(-1));
    const current = (holder as Holder)[key];
    if (typeof current === 'number' && Number(text) === current) setNumberText(holder, key, text);
  }
}

/** A deep copy of a JSON value that keeps the number texts (structuredClone and JSON round trips drop them). */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  const texts = textsOf(value);
  let copy: Holder | unknown[];
  if (Array.isArray(value)) copy = value.map((item: unknown) => cloneJson(item));
  else {
    copy = {};
    for (const key in value) copy[key] = cloneJson((value as Holder)[key]);
  }
  if (texts !== undefined) (copy as Holder)[TEXTS] = Object.assign(Object.create(null) as Texts, texts);
  return copy as T;
}

/** Copies the text of from[fromKey] to to[toKey] (or clears it when there is none): for code that moves values. */
export function moveNumberText(from: unknown, fromKey: string | number, to: object, toKey: string | number): void {
  const text = numberTextOf(from, fromKey);
  if (text === undefined) clearNumberText(to, toKey);
  else setNumberText(to, toKey, text);
}

/**
 * Gives `to` the number texts of `from` (for code that rebuilds an object key by key); they apply where values match.
 */
export function copyNumberTexts<T extends object>(from: object, to: T): T {
  const texts = textsOf(from);
  if (texts !== undefined) (to as Holder)[TEXTS] = Object.assign(Object.create(null) as Texts, texts);
  return to;
}
