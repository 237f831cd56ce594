/**
 * FHIR XML → the FHIR JSON the store keeps, driven by the R4 definitions (xml-schema.ts): repeating elements become
 * arrays, primitives become `name` (true/false, a number or a string by type) plus `_name` for their id and
 * extensions (arrays aligned with nulls), `value[x]` keeps its typed name, nested resources are unwrapped, decimals
 * keep their text (server/json/number-texts.ts: 1.50 stays 1.50), the narrative div becomes a string (xhtml-div.ts).
 *
 * Read with saxes (a strict, non-validating, namespace-aware SAX parser that never fetches or expands anything
 * beyond the five predefined entities and character references). A DOCTYPE is refused outright, so no entity
 * can be declared (no XXE, no "billion laughs"). Anything that is not FHIR XML — an unknown element or attribute,
 * text where none belongs, a value that is not of its type, a repeated single element — is a 400 naming where.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { setNumberText } from '../../json/number-texts.js';
import { fhirError } from '../errors.js';
import { DivCapture, DivError } from './xhtml-div.js';
import { FHIR_NS, isResourceTypeName, requireTypeInfo, type ChildElement, type TypeInfo } from './xml-schema.js';

const MAX_DEPTH = 512;
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const INTEGER = /^-?(?:0|[1-9][0-9]*)$/;
const DECIMAL = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

type Json = Record<string, unknown>;

/** A complex value (a resource, a datatype or a backbone element) being read. */
type ObjectFrame = {
  kind: 'object';
  /** The element it fills in its parent (none for a resource). */
  element?: ChildElement;
  type: TypeInfo;
  path: string;
  value: Json;
  /** Primitive members: values and their `_` parts, aligned. */
  primitives: Map<string, { element: ChildElement; values: unknown[]; parts: Array<Json | null> }>;
  counts: Map<string, number>;
};
/** A primitive element: its value attribute, then its id and extensions. */
type PrimitiveFrame = { kind: 'primitive'; element: ChildElement; path: string; value: unknown; part: Json };
/** `<resource>` / `<contained>`: exactly one resource inside. */
type WrapperFrame = { kind: 'wrapper'; element: ChildElement; path: string; resource?: Json };
type Frame = ObjectFrame | PrimitiveFrame | WrapperFrame;

export function parseFhirXml(text: string): Json {
  return new FhirXmlReader(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).read();
}

class FhirXmlReader {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly stack: Frame[] = [];
  private result: Json | undefined;
  private div: { capture: DivCapture; owner: ObjectFrame; element: ChildElement } | undefined;
  private divStart = 0;

  constructor(private readonly text: string) {}

  read(): Json {
    const p = this.parser;
    p.on('doctype', () => this.fail('A DOCTYPE is not allowed in FHIR XML (no DTDs, no entity declarations)'));
    p.on('opentagstart', () => {
      if (this.div === undefined) this.divStart = this.text.lastIndexOf('<', p.position - 1);
    });
    p.on('opentag', (node) => this.open(node));
    p.on('closetag', (node) => this.close(node));
    p.on('text', (t) => this.text_(t));
    p.on('cdata', (t) => {
      if (this.div) this.div.capture.text(t);
      else this.fail('CDATA is not allowed in FHIR XML outside the narrative');
    });
    p.on('comment', (c) => this.div?.capture.comment(c));
    p.on('error', (e) => {
      throw e;
    });
    try {
      p.write(this.text).close();
    } catch (error) {
      if (error instanceof Error && error.name === 'FhirError') throw error;
      if (error instanceof DivError) this.fail(error.message);
      this.fail(`The body is not well-formed XML: ${(error as Error).message}`);
    }
    if (!this.result) this.fail('The body holds no FHIR resource');
    return this.result;
  }

  private fail(message: string, path?: string): never {
    const where = path ?? this.stack.at(-1)?.path;
    const at = ` (line ${this.parser.line}, column ${this.parser.column})`;
    throw fhirError(
      400,
      'structure',
      `The body is not acceptable FHIR XML: ${message}${where ? ` at ${where}` : ''}${at}`,
      where ? [where] : undefined,
    );
  }

  private open(node: SaxesTagNS): void {
    if (this.div) {
      this.div.capture.open(node);
      return;
    }
    if (this.stack.length >= MAX_DEPTH) this.fail(`The XML is nested more than ${MAX_DEPTH} levels deep`);
    const parent = this.stack.at(-1);
    if (node.uri !== FHIR_NS && !(parent?.kind === 'object' && this.isDivSlot(parent, node))) {
      this.fail(`<${node.name}> is not in the FHIR namespace ${FHIR_NS}`);
    }
    if (parent === undefined || parent.kind === 'wrapper') {
      this.openResource(node, parent);
      return;
    }
    if (parent.kind === 'primitive') {
      if (node.local !== 'extension')
        this.fail(`<${node.local}> is not allowed in a primitive element, only extension`);
      this.openChild(node, requireTypeInfo('Element').byName.get('extension')!, `${parent.path}.extension`);
      return;
    }
    const element = parent.type.byName.get(node.local);
    if (
      !element ||
      (!parent.type.isResource && node.local === 'id') ||
      (parent.type.name === 'Extension' && node.local === 'url')
    ) {
      this.fail(`Unknown element <${node.local}> in ${parent.type.name}`, parent.path);
    }
    const count = (parent.counts.get(element.name) ?? 0) + 1;
    parent.counts.set(element.name, count);
    if (!element.isArray && count > 1) this.fail(`<${element.name}> appears more than once`, parent.path);
    const path = `${parent.path}.${element.name}${element.isArray ? `[${count - 1}]` : ''}`;
    if (element.kind === 'xhtml') {
      try {
        this.div = { capture: new DivCapture(this.divStart, node), owner: parent, element };
      } catch (error) {
        this.fail((error as Error).message, path);
      }
      if (node.isSelfClosing) return; // closetag follows at once
      return;
    }
    this.openChild(node, element, path);
  }

  private isDivSlot(parent: ObjectFrame, node: SaxesTagNS): boolean {
    return parent.type.byName.get(node.local)?.kind === 'xhtml';
  }

  private openResource(node: SaxesTagNS, wrapper: WrapperFrame | undefined): void {
    if (wrapper?.resource) this.fail(`<${wrapper.element.name}> holds more than one resource`);
    if (!isResourceTypeName(node.local)) this.fail(`<${node.local}> is not a FHIR resource type`, wrapper?.path);
    const type = requireTypeInfo(node.local);
    const path = wrapper ? `${wrapper.path}.${node.local}` : node.local;
    this.checkAttributes(node, [], path);
    this.stack.push(this.objectFrame(type, path, { resourceType: node.local }));
  }

  private objectFrame(type: TypeInfo, path: string, value: Json): ObjectFrame {
    return { kind: 'object', type, path, value, primitives: new Map(), counts: new Map() };
  }

  private openChild(node: SaxesTagNS, element: ChildElement, path: string): void {
    switch (element.kind) {
      case 'resource':
        this.checkAttributes(node, [], path);
        this.stack.push({ kind: 'wrapper', element, path });
        return;
      case 'primitive': {
        const attrs = this.checkAttributes(node, ['id', 'value'], path);
        const part: Json = attrs['id'] !== undefined ? { id: attrs['id'] } : {};
        const value = attrs['value'] === undefined ? undefined : this.primitiveValue(element, attrs['value'], path);
        this.stack.push({ kind: 'primitive', element, path, value, part });
        return;
      }
      case 'complex': {
        const type = requireTypeInfo(element.typeCode);
        const allowed = type.name === 'Extension' ? ['id', 'url'] : ['id'];
        const attrs = this.checkAttributes(node, allowed, path);
        const value: Json = {};
        for (const a of allowed) if (attrs[a] !== undefined) value[a] = attrs[a];
        this.stack.push({ ...this.objectFrame(type, path, value), element });
        return;
      }
      case 'xhtml':
        return; // handled by open()
    }
  }

  private primitiveValue(element: ChildElement, text: string, path: string): unknown {
    switch (element.json) {
      case 'boolean':
        if (text === 'true') return true;
        if (text === 'false') return false;
        return this.fail(`"${text.slice(0, 40)}" is not a boolean (true or false)`, path);
      case 'integer': {
        const n = Number(text);
        if (!INTEGER.test(text) || n > 2147483647 || n < -2147483648) {
          this.fail(`"${text.slice(0, 40)}" is not a 32-bit ${element.typeCode}`, path);
        }
        return n;
      }
      case 'decimal':
        if (!DECIMAL.test(text) || !Number.isFinite(Number(text))) {
          this.fail(`"${text.slice(0, 40)}" is not a decimal`, path);
        }
        return new DecimalText(text);
      case 'string':
        return text;
    }
  }

  /** The FHIR attributes of an element (others: xmlns and xsi are ignored, anything else refused). */
  private checkAttributes(node: SaxesTagNS, allowed: string[], path: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name in node.attributes) {
      const a = node.attributes[name]!;
      if (a.prefix === 'xmlns' || a.name === 'xmlns' || a.uri === XSI_NS) continue;
      if (a.uri === '' && allowed.includes(a.local)) out[a.local] = a.value;
      else this.fail(`Unknown attribute ${a.name} on <${node.local}>`, path);
    }
    return out;
  }

  private text_(text: string): void {
    if (this.div) {
      this.div.capture.text(text);
      return;
    }
    if (/[^ \t\r\n]/.test(text))
      this.fail(`Text "${text.trim().slice(0, 40)}" is not allowed here (FHIR XML keeps values in value attributes)`);
  }

  private close(node: SaxesTagNS): void {
    if (this.div) {
      if (!this.div.capture.close(node)) return;
      const { capture, owner, element } = this.div;
      this.div = undefined;
      owner.value[element.name] = capture.finish(this.text, this.parser.position);
      return;
    }
    const frame = this.stack.pop()!;
    const parent = this.stack.at(-1);
    switch (frame.kind) {
      case 'wrapper':
        if (!frame.resource) this.fail(`<${frame.element.name}> holds no resource`, frame.path);
        this.put(parent as ObjectFrame, frame.element, frame.resource);
        return;
      case 'primitive':
        if (frame.value === undefined && Object.keys(frame.part).length === 0) {
          this.fail(`<${frame.element.name}> has neither a value nor extensions`, frame.path);
        }
        if (parent?.kind === 'object') this.putPrimitive(parent, frame);
        return;
      case 'object': {
        const value = finishObject(frame);
        if (parent === undefined) this.result = value;
        else if (parent.kind === 'wrapper') parent.resource = value;
        else if (parent.kind === 'primitive') {
          ((parent.part['extension'] as unknown[] | undefined) ?? (parent.part['extension'] = [])).push(value);
        } else this.put(parent, frame.element!, value);
        return;
      }
    }
  }

  private put(parent: ObjectFrame, element: ChildElement, value: unknown): void {
    if (element.isArray)
      ((parent.value[element.name] as unknown[] | undefined) ?? (parent.value[element.name] = [])).push(value);
    else parent.value[element.name] = value;
  }

  private putPrimitive(parent: ObjectFrame, frame: PrimitiveFrame): void {
    let entry = parent.primitives.get(frame.element.name);
    if (!entry) {
      entry = { element: frame.element, values: [], parts: [] };
      parent.primitives.set(frame.element.name, entry);
      parent.value[frame.element.name] = undefined; // keeps the member's place in the order
    }
    entry.values.push(frame.value === undefined ? null : frame.value);
    entry.parts.push(Object.keys(frame.part).length > 0 ? frame.part : null);
  }
}

/** A decimal's text until it is placed in its holder (number-texts.ts keeps the text there). */
class DecimalText {
  constructor(readonly text: string) {}
}

function place(holder: Json | unknown[], key: string | number, value: unknown): void {
  if (value instanceof DecimalText) {
    (holder as Record<string | number, unknown>)[key] = Number(value.text);
    setNumberText(holder, key, value.text);
  } else (holder as Record<string | number, unknown>)[key] = value;
}

/** The JSON object in the frame's order, each primitive `name` followed by its `_name`. */
function finishObject(frame: ObjectFrame): Json {
  if (frame.primitives.size === 0) return frame.value;
  const out: Json = {};
  for (const key of Object.keys(frame.value)) {
    const entry = frame.primitives.get(key);
    if (!entry) {
      out[key] = frame.value[key];
      continue;
    }
    const hasValue = entry.values.some((v) => v !== null);
    const hasPart = entry.parts.some((p) => p !== null);
    if (entry.element.isArray) {
      if (hasValue) {
        const values: unknown[] = [];
        entry.values.forEach((v, i) => place(values, i, v));
        out[key] = values;
      }
      if (hasPart) {
        const parts = entry.parts.slice();
        while (parts.at(-1) === null) parts.pop(); // `_given` may stop at its last extension
        out[`_${key}`] = parts;
      }
    } else {
      if (hasValue) place(out, key, entry.values[0]);
      if (hasPart) out[`_${key}`] = entry.parts[0];
    }
  }
  return out;
}
