/**
 * The narrative's XHTML `div` between FHIR XML and the JSON string that holds it.
 *
 * XML → JSON: the div's markup is taken from the source text exactly as written (attribute quotes, `<br/>` or
 * `<br />`, entity and character references, whitespace), so a JSON div written to XML comes back as the same
 * string. A div that leans on namespace prefixes declared outside it (or lacks its own XHTML namespace
 * declaration) is re-serialised from the parsed content instead, with the XHTML namespace declared on the div.
 * Everything inside must be XHTML (elements in the XHTML namespace; attributes unprefixed or xml:).
 * JSON → XML: the string is checked to be one well-formed XHTML `div` and then written as it is (a div missing the
 * namespace declaration gets it, so that it does not fall into the FHIR namespace).
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { escapeText, XmlUnwritableError } from './xml-escape.js';
import { XHTML_NS } from './xml-schema.js';

/** Thrown for a div the reader refuses; the reader turns it into a 400 naming where. */
export class DivError extends Error {}

function attributeValue(value: string): string {
  return value.replace(/[&<"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`,
  );
}

/** Follows one div through the reader's events; `finish` gives the JSON string. */
export class DivCapture {
  private depth = 0;
  private selfContained: boolean;
  private canonical = '';

  constructor(
    private readonly start: number,
    root: SaxesTagNS,
  ) {
    if (root.local !== 'div' || root.uri !== XHTML_NS) {
      throw new DivError(`The narrative must be an XHTML div (namespace ${XHTML_NS}), found <${root.name}>`);
    }
    this.selfContained = root.prefix === '' && root.attributes['xmlns']?.value === XHTML_NS;
    this.open(root);
  }

  open(node: SaxesTagNS): void {
    if (node.uri !== XHTML_NS) {
      throw new DivError(
        `The narrative may hold XHTML elements only, found <${node.name}> in ${node.uri || 'no namespace'}`,
      );
    }
    if (node.prefix !== '') this.selfContained = false;
    let tag = `<${node.local}`;
    if (this.depth === 0) tag += ` xmlns="${XHTML_NS}"`;
    for (const name in node.attributes) {
      const a = node.attributes[name]!;
      if (a.prefix === 'xmlns' || a.name === 'xmlns') continue;
      if (a.prefix !== '' && a.prefix !== 'xml') {
        throw new DivError(`The narrative may not carry the attribute ${a.name} (namespace ${a.uri})`);
      }
      tag += ` ${a.name}="${attributeValue(a.value)}"`;
    }
    this.canonical += node.isSelfClosing ? `${tag}/>` : `${tag}>`;
    this.depth++;
  }

  text(text: string): void {
    this.canonical += escapeText(text);
  }

  comment(text: string): void {
    this.canonical += `<!--${text}-->`;
  }

  /** Returns true when the div itself closed. */
  close(node: SaxesTagNS): boolean {
    if (!node.isSelfClosing) this.canonical += `</${node.local}>`;
    this.depth--;
    return this.depth === 0;
  }

  finish(source: string, end: number): string {
    return this.selfContained ? source.slice(this.start, end) : this.canonical;
  }
}

/** The div as it goes into FHIR XML; throws XmlUnwritableError for one that is not a well-formed XHTML div. */
export function divForXml(div: string, path: string): string {
  let root: SaxesTagNS | undefined;
  const parser = new SaxesParser({ xmlns: true });
  parser.on('doctype', () => {
    throw new XmlUnwritableError(path, 'holds a DOCTYPE');
  });
  parser.on('opentag', (node) => {
    root ??= node;
  });
  try {
    parser.write(div).close();
  } catch (error) {
    if (error instanceof XmlUnwritableError) throw error;
    throw new XmlUnwritableError(path, `is not well-formed XHTML (${(error as Error).message})`);
  }
  if (!root || root.local !== 'div') throw new XmlUnwritableError(path, 'is not a div');
  if (root.uri === XHTML_NS) return div;
  if (root.uri === '' && root.prefix === '') {
    return div.replace(/^(\s*<div)/, `$1 xmlns="${XHTML_NS}"`);
  }
  throw new XmlUnwritableError(path, `is in the namespace ${root.uri}, not XHTML`);
}
