/**
 * The FHIR string rule (R4 datatypes.html#string, normative): "A sequence of Unicode characters", regex
 * `[ \r\n\t\S]+`; strings "SHOULD NOT contain Unicode character points below 32, except for u0009 (horizontal
 * tab), u0010 (carriage return) and u0013 (line feed)" and "SHOULD always contain non-whitespace content".
 * The regex is XML Schema's, where `\s` is only space, tab, CR and LF (XSD Part 2, F.3.4 character class
 * escapes): U+00A0, U+202F, U+3000, U+2002, U+2028 and U+FEFF are ordinary characters of a FHIR string.
 * JavaScript's `\s` takes all Unicode spaces, so the JSON schema's patterns are translated, and a string made
 * only of JavaScript white space but holding one such character is not "whitespace only".
 */

/** True when the string holds something other than XML white space (space, tab, CR, LF). */
export function hasFhirContent(value: string): boolean {
  return !/^[ \t\r\n]*$/.test(value);
}

const XSD_SPACE = '[ \\t\\n\\r]';
const XSD_NON_SPACE = '[^ \\t\\n\\r]';

/**
 * A JSON-schema pattern written with XML Schema's `\s` / `\S`, as the same JavaScript regex. `[ \r\n\t\S]` (any
 * character) becomes `[\s\S]`; `[^\s]` and `\S` become "not space, tab, CR, LF"; `\s` becomes those four.
 */
export function xsdPattern(pattern: string): string {
  return pattern
    .split('[ \\r\\n\\t\\S]')
    .join('[\\s\\S]')
    .split('[^\\s]')
    .join(XSD_NON_SPACE)
    .replace(/\\S(?![^[]*\])/g, XSD_NON_SPACE)
    .replace(/\\s(?![^[]*\])/g, XSD_SPACE);
}
