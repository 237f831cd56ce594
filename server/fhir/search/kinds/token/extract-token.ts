import { normalizeString } from '../../../indexing/normalize.js';
import type { IndexEntry, TokenEntry } from '../../../indexing/index-entry.js';
import { asObject, asString, type Extractor } from '../../../indexing/extractors/extractor.js';

/**
 * Coding, CodeableConcept (each coding; its `text` as an entry with neither system nor code),
 * Identifier (system|value, one entry per type coding), ContactPoint (system|value), boolean,
 * and plain codes/strings/ids/uris (no system).
 */
export const extractToken: Extractor = (param, { type, value }, out) => {
  switch (type) {
    case 'Coding': {
      pushCoding(param, asObject(value), out);
      return;
    }
    case 'CodeableConcept': {
      const cc = asObject(value);
      if (!cc) return;
      if (Array.isArray(cc.coding)) for (const coding of cc.coding) pushCoding(param, asObject(coding), out);
      const text = normalizedText(cc.text);
      if (text) out.push({ kind: 'token', param, system: null, code: null, text });
      return;
    }
    case 'Identifier': {
      pushIdentifier(param, asObject(value), out);
      return;
    }
    case 'ContactPoint': {
      const cp = asObject(value);
      const code = asString(cp?.value);
      if (code) out.push({ kind: 'token', param, system: asString(cp?.system) ?? null, code });
      return;
    }
    case 'boolean':
      if (typeof value === 'boolean') out.push({ kind: 'token', param, system: null, code: String(value) });
      return;
    default:
      if (typeof value === 'string' && value.length > 0) out.push({ kind: 'token', param, system: null, code: value });
      else if (typeof value === 'number' && Number.isFinite(value))
        out.push({ kind: 'token', param, system: null, code: String(value) });
  }
};

function pushCoding(param: string, coding: Record<string, unknown> | undefined, out: IndexEntry[]): void {
  if (!coding) return;
  const system = asString(coding.system) ?? null;
  const code = asString(coding.code) ?? null;
  const text = normalizedText(coding.display);
  if (code === null && system === null && !text) return;
  const entry: TokenEntry = { kind: 'token', param, system, code };
  if (text) entry.text = text;
  out.push(entry);
}

function pushIdentifier(param: string, identifier: Record<string, unknown> | undefined, out: IndexEntry[]): void {
  if (!identifier) return;
  const system = asString(identifier.system) ?? null;
  const code = asString(identifier.value) ?? null;
  if (system === null && code === null) return;
  const type = asObject(identifier.type);
  const text = normalizedText(type?.text);
  const typeCodings = Array.isArray(type?.coding) ? type.coding.map(asObject).filter((c) => c && asString(c.code)) : [];
  if (typeCodings.length === 0) {
    const entry: TokenEntry = { kind: 'token', param, system, code };
    if (text) entry.text = text;
    out.push(entry);
    return;
  }
  for (const coding of typeCodings) {
    const entry: TokenEntry = { kind: 'token', param, system, code };
    if (text) entry.text = text;
    const typeSystem = asString(coding!.system);
    if (typeSystem) entry.typeSystem = typeSystem;
    entry.typeCode = coding!.code as string;
    out.push(entry);
  }
}

function normalizedText(value: unknown): string | undefined {
  const text = asString(value);
  if (!text) return undefined;
  const normalized = normalizeString(text);
  return normalized.length > 0 ? normalized : undefined;
}
