/** Text-level helpers for FHIRPath search-parameter expressions. */

/** Keeps the top-level `|` branches of a multi-type expression that belong to `resourceType`. */
export function narrowExpression(resourceType: string, expression: string): string {
  const branches = splitTopLevelUnion(expression);
  const mine = branches.filter((b) => {
    const t = b.trim().replace(/^\(+/, '');
    return t === resourceType || t.startsWith(resourceType + '.') || t.startsWith(resourceType + ')');
  });
  return mine.length > 0 ? mine.join(' | ') : expression;
}

export function splitTopLevelUnion(expression: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === "'" && expression[i - 1] !== '\\') quoted = !quoted;
    if (quoted) continue;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === '|' && depth === 0) {
      parts.push(expression.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expression.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** Removes parentheses that wrap the whole text: `((a.b))` → `a.b`, but `(a).b` stays. */
export function unwrap(text: string): string {
  let t = text.trim();
  while (t.startsWith('(') && t.endsWith(')') && wrapsWhole(t)) t = t.slice(1, -1).trim();
  return t;
}

function wrapsWhole(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0 && i < text.length - 1) return false;
  }
  return depth === 0;
}
