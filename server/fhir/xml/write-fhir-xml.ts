/**
 * FHIR JSON → FHIR XML, driven by the R4 definitions (xml-schema.ts): elements in definition order, `id` and
 * Extension `url` as attributes, primitives as `value` attributes with their `_name` id and extensions, nested
 * resources wrapped (`<resource><Patient>…`), decimals with the text they were read with (number-texts.ts), the
 * narrative div as written (xhtml-div.ts). Members the definitions do not know (the store keeps only validated
 * resources, so only odd server-made content) are written after the known ones, in their JSON shape, rather than
 * dropped. Text XML 1.0 cannot carry throws XmlUnwritableError.
 */
import { writtenNumber } from '../../json/number-texts.js';
import { divForXml } from './xhtml-div.js';
import { escapeAttribute, XmlUnwritableError } from './xml-escape.js';
import { FHIR_NS, requireTypeInfo, typeInfo, type ChildElement, type TypeInfo } from './xml-schema.js';

type Json = Record<string, unknown>;

export function writeFhirXml(resource: Json, options: { pretty?: boolean } = {}): string {
  const w = new XmlWriter(options.pretty === true);
  w.resource(resource, String(resource['resourceType']), true);
  return w.out;
}

class XmlWriter {
  out = '';
  private depth = 0;

  constructor(private readonly pretty: boolean) {}

  private line(text: string): void {
    if (this.pretty) this.out += `${this.out.length > 0 ? '\n' : ''}${'  '.repeat(this.depth)}${text}`;
    else this.out += text;
  }

  resource(json: Json, path: string, root: boolean): void {
    const name = String(json['resourceType']);
    const type = typeInfo(name);
    this.line(`<${name}${root ? ` xmlns="${FHIR_NS}"` : ''}>`);
    this.depth++;
    if (type) this.members(type, json, path, new Set(['resourceType']));
    else this.unknownMembers(json, path, new Set(['resourceType']));
    this.depth--;
    this.line(`</${name}>`);
  }

  /** The members of a complex value in definition order, then any the definitions do not know. */
  private members(type: TypeInfo, json: Json, path: string, done: Set<string>): void {
    for (const group of type.order) {
      for (const element of group) {
        const name = element.name;
        if (!type.isResource && name === 'id') continue; // an attribute
        if (type.name === 'Extension' && name === 'url') continue;
        const value = json[name];
        const part = json[`_${name}`];
        if (value === undefined && part === undefined) continue;
        done.add(name).add(`_${name}`);
        this.element(element, json, value, part, `${path}.${name}`);
      }
    }
    this.unknownMembers(json, path, done);
  }

  private element(element: ChildElement, holder: Json, value: unknown, part: unknown, path: string): void {
    if (element.kind === 'primitive') {
      const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
      const parts = Array.isArray(part) ? (part as unknown[]) : part === undefined ? [] : [part];
      const n = Math.max(values.length, parts.length);
      for (let i = 0; i < n; i++) {
        const v: unknown = values[i];
        const p = parts[i] as Json | null | undefined;
        if ((v === null || v === undefined) && (p === null || p === undefined)) continue;
        const numberHolder = Array.isArray(value) ? value : holder;
        const numberKey = Array.isArray(value) ? i : element.name;
        this.primitive(
          element.name,
          v,
          p ?? undefined,
          numberHolder,
          numberKey,
          Array.isArray(value) ? `${path}[${i}]` : path,
        );
      }
      return;
    }
    const items = Array.isArray(value) ? value : [value];
    items.forEach((item, i) => {
      const at = Array.isArray(value) ? `${path}[${i}]` : path;
      if (item === null || item === undefined) return;
      if (element.kind === 'xhtml' && typeof item === 'string') {
        const div = divForXml(item, at);
        if (this.pretty) this.line(div);
        else this.out += div;
      } else if (element.kind === 'resource' && typeof item === 'object') {
        this.line(`<${element.name}>`);
        this.depth++;
        this.resource(item as Json, at, false);
        this.depth--;
        this.line(`</${element.name}>`);
      } else if (typeof item === 'object' && !Array.isArray(item)) {
        this.complex(element.name, requireTypeInfo(element.typeCode), item as Json, at);
      } else this.primitive(element.name, item, undefined, value, Array.isArray(value) ? i : element.name, at);
    });
  }

  private primitive(
    name: string,
    value: unknown,
    part: Json | undefined,
    holder: unknown,
    key: string | number,
    path: string,
  ): void {
    let tag = `<${name}`;
    if (part && typeof part['id'] === 'string') tag += ` id="${escapeAttribute(part['id'], `${path}.id`)}"`;
    if (value !== null && value !== undefined) {
      if (typeof value === 'object') throw new XmlUnwritableError(path, 'is not a FHIR primitive value');
      const text = typeof value === 'number' ? writtenNumber(holder, key, value) : String(value);
      tag += ` value="${escapeAttribute(text, path)}"`;
    }
    const extensions = part?.['extension'];
    const rest = part ? Object.keys(part).filter((k) => k !== 'id' && k !== 'extension') : [];
    if (extensions === undefined && rest.length === 0) {
      this.line(`${tag}/>`);
      return;
    }
    this.line(`${tag}>`);
    this.depth++;
    const element = requireTypeInfo('Element');
    this.members(
      element,
      { extension: extensions, ...Object.fromEntries(rest.map((k) => [k, part![k]])) },
      path,
      new Set(['id']),
    );
    this.depth--;
    this.line(`</${name}>`);
  }

  private complex(name: string, type: TypeInfo, json: Json, path: string): void {
    let tag = `<${name}`;
    if (typeof json['id'] === 'string') tag += ` id="${escapeAttribute(json['id'], `${path}.id`)}"`;
    if (type.name === 'Extension' && typeof json['url'] === 'string') {
      tag += ` url="${escapeAttribute(json['url'], `${path}.url`)}"`;
    }
    const done = new Set(['id']);
    if (type.name === 'Extension') done.add('url');
    const start = this.out.length;
    this.line(`${tag}>`);
    const afterOpen = this.out.length;
    this.depth++;
    this.members(type, json, path, done);
    this.depth--;
    if (this.out.length === afterOpen) {
      this.out = `${this.out.slice(0, start)}${this.out.slice(start, afterOpen - 1)}/>`;
      return;
    }
    this.line(`</${name}>`);
  }

  /** Members the definitions do not name: objects as elements, everything else as value attributes. */
  private unknownMembers(json: Json, path: string, done: Set<string>): void {
    for (const key of Object.keys(json)) {
      if (done.has(key) || key.startsWith('_') || !/^[A-Za-z][A-Za-z0-9_]*$/.test(key)) continue;
      const value = json[key];
      const items = Array.isArray(value) ? (value as unknown[]) : [value];
      items.forEach((item, i) => {
        const at = Array.isArray(value) ? `${path}.${key}[${i}]` : `${path}.${key}`;
        if (item === null || item === undefined) return;
        if (typeof item === 'object' && typeof (item as Json)['resourceType'] === 'string') {
          this.line(`<${key}>`);
          this.depth++;
          this.resource(item as Json, at, false);
          this.depth--;
          this.line(`</${key}>`);
        } else if (typeof item === 'object') {
          this.line(`<${key}>`);
          this.depth++;
          this.unknownMembers(item as Json, at, new Set());
          this.depth--;
          this.line(`</${key}>`);
        } else {
          const text =
            typeof item === 'number'
              ? writtenNumber(Array.isArray(value) ? value : json, Array.isArray(value) ? i : key, item)
              : String(item);
          this.line(`<${key} value="${escapeAttribute(text, at)}"/>`);
        }
      });
    }
  }
}
