/**
 * Splitting of FHIR search parameter values on their separators (`,` between OR values, `|` inside
 * tokens/quantities/of-type, `$` between composite parts), honouring the `\` escapes of the R4 spec
 * (`\,` `\|` `\$` `\\`).
 */

/** Splits on every unescaped `separator`; the escapes stay in the pieces (unescape them last). */
export function splitEscaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '\\' && i + 1 < value.length) {
      current += ch + value[i + 1]!;
      i++;
    } else if (ch === separator) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts;
}

/** Escapes a literal value for a search parameter: `,` `|` `$` `\` → `\,` `\|` `\$` `\\` (unescapeValue's inverse). */
export function escapeValue(value: string): string {
  return value.replace(/[\\,$|]/g, (c) => `\\${c}`);
}

/** Removes the search escapes: `\,` → `,`, `\|` → `|`, `\$` → `$`, `\\` → `\`. */
export function unescapeValue(value: string): string {
  return value.replace(/\\([,|$\\])/g, '$1');
}

/** The OR values of one parameter occurrence, escapes kept (`a,b\,c` → [`a`, `b\,c`]). */
export function splitOr(value: string): string[] {
  return splitEscaped(value, ',');
}
