/**
 * Escapes for the XML writer. Attribute values keep tabs and line breaks as character references (a parser turns a
 * literal one into a space), so a FHIR string comes back exactly. XML 1.0 cannot carry most control characters at
 * all: such text is refused (XmlUnwritableError) rather than written altered.
 */

export class XmlUnwritableError extends Error {
  constructor(
    readonly path: string,
    why = 'holds a control character that XML 1.0 cannot carry',
  ) {
    super(`${path} ${why}`);
    this.name = 'XmlUnwritableError';
  }
}

// Characters XML 1.0 forbids: C0 controls but tab/LF/CR, lone surrogates, U+FFFE and U+FFFF.
const FORBIDDEN =
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ATTRIBUTE_SPECIAL = /[&<>"\t\n\r]/g;
const TEXT_SPECIAL = /[&<>]/g;

const REPLACEMENTS: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

export function escapeAttribute(value: string, path: string): string {
  if (FORBIDDEN.test(value)) throw new XmlUnwritableError(path);
  return value.replace(ATTRIBUTE_SPECIAL, (c) => REPLACEMENTS[c]!);
}

export function escapeText(value: string): string {
  return value.replace(TEXT_SPECIAL, (c) => REPLACEMENTS[c]!);
}
