/**
 * The FHIR `_filter` grammar (R4 search_filter.html) → a small expression tree; compile-filter.ts turns it into
 * Conditions. Written here rather than taken from @medplum/core's parseFilterParameter, which refuses valid filters
 * (a quantity token such as `5.4|http://unitsofmeasure.org|mg` after a number: "Unexpected token") and reads `eq`
 * and `co` as other operator names.
 *
 *   filter     = orExp
 *   orExp      = andExp ("or" andExp)*          (and binds tighter than or, as in HAPI and Medplum)
 *   andExp     = unary ("and" unary)*
 *   unary      = "not" "(" filter ")" | "(" filter ")" | paramExp
 *   paramExp   = paramPath SP compareOp SP compValue
 *   compValue  = a JSON string ("…" with \" \\ escapes) or a token: non-white-space characters except ")" and "]"
 * Keywords and operators are matched case-insensitively. Filters inside a path (`related[type eq has-member]`) are
 * not supported (FilterSyntaxError names them).
 */

export const FILTER_OPERATORS = [
  'eq',
  'ne',
  'co',
  'sw',
  'ew',
  'gt',
  'lt',
  'ge',
  'le',
  'ap',
  'sa',
  'eb',
  'pr',
  'po',
  'ss',
  'sb',
  'in',
  'ni',
  're',
] as const;
export type FilterOperator = (typeof FILTER_OPERATORS)[number];

export type FilterExpression =
  | { kind: 'compare'; path: string; operator: FilterOperator; value: string }
  | { kind: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { kind: 'not'; child: FilterExpression };

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

/** Longest _filter accepted, and deepest nesting of parentheses. */
export const MAX_FILTER_LENGTH = 4000;
const MAX_DEPTH = 32;

type Token = { text: string; quoted: boolean; at: number };

export function parseFilter(input: string): FilterExpression {
  if (input.length > MAX_FILTER_LENGTH)
    throw new FilterSyntaxError(`_filter is longer than ${MAX_FILTER_LENGTH} characters`);
  const tokens = tokenize(input);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const word = (t: Token | undefined) => (t && !t.quoted ? t.text.toLowerCase() : undefined);
  const expect = (text: string) => {
    const t = tokens[pos];
    if (!t || t.quoted || t.text !== text)
      throw new FilterSyntaxError(
        `expected '${text}' ${t ? `at position ${t.at + 1}, found '${clip(t.text)}'` : 'at the end'}`,
      );
    pos++;
  };

  const orExp = (depth: number): FilterExpression => {
    let left = andExp(depth);
    while (word(peek()) === 'or') {
      pos++;
      left = { kind: 'or', left, right: andExp(depth) };
    }
    return left;
  };
  const andExp = (depth: number): FilterExpression => {
    let left = unary(depth);
    while (word(peek()) === 'and') {
      pos++;
      left = { kind: 'and', left, right: unary(depth) };
    }
    return left;
  };
  const group = (depth: number): FilterExpression => {
    if (depth >= MAX_DEPTH) throw new FilterSyntaxError(`_filter nests parentheses deeper than ${MAX_DEPTH}`);
    expect('(');
    const inner = orExp(depth + 1);
    expect(')');
    return inner;
  };
  const unary = (depth: number): FilterExpression => {
    const t = peek();
    if (!t) throw new FilterSyntaxError('_filter ends where an expression was expected');
    if (!t.quoted && t.text === '(') return group(depth);
    if (word(t) === 'not' && tokens[pos + 1]?.text === '(' && !tokens[pos + 1]!.quoted) {
      pos++;
      return { kind: 'not', child: group(depth) };
    }
    return comparison();
  };
  const comparison = (): FilterExpression => {
    const path = tokens[pos++]!;
    if (path.quoted || !/^[A-Za-z_][A-Za-z0-9_\-.:]*$/.test(path.text)) {
      if (!path.quoted && path.text.includes('['))
        throw new FilterSyntaxError(`filters inside a parameter path ('${clip(path.text)}') are not supported`);
      throw new FilterSyntaxError(`'${clip(path.text)}' at position ${path.at + 1} is not a search parameter path`);
    }
    const op = tokens[pos++];
    const operator = word(op);
    if (!op || !operator || !(FILTER_OPERATORS as readonly string[]).includes(operator))
      throw new FilterSyntaxError(
        `expected an operator (${FILTER_OPERATORS.join(', ')}) after '${clip(path.text)}'${op ? `, found '${clip(op.text)}'` : ''}`,
      );
    const value = tokens[pos++];
    if (!value || (!value.quoted && (value.text === '(' || value.text === ')')))
      throw new FilterSyntaxError(`'${clip(path.text)} ${operator}' has no value`);
    return { kind: 'compare', path: path.text, operator: operator as FilterOperator, value: value.text };
  };

  const expression = orExp(0);
  const rest = peek();
  if (rest) throw new FilterSyntaxError(`unexpected '${clip(rest.text)}' at position ${rest.at + 1}`);
  return expression;
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i]!;
    if (/\s/.test(ch)) {
      i++;
    } else if (ch === '(' || ch === ')') {
      tokens.push({ text: ch, quoted: false, at: i++ });
    } else if (ch === '"') {
      const start = i++;
      let text = '';
      for (;;) {
        if (i >= input.length) throw new FilterSyntaxError(`the string at position ${start + 1} is not closed`);
        const c = input[i]!;
        if (c === '"') break;
        if (c === '\\') {
          const next = input[i + 1];
          if (next === undefined) throw new FilterSyntaxError(`the string at position ${start + 1} is not closed`);
          text += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : next;
          i += 2;
        } else {
          text += c;
          i++;
        }
      }
      i++;
      tokens.push({ text, quoted: true, at: start });
    } else {
      const start = i;
      while (i < input.length && !/\s/.test(input[i]!) && input[i] !== ')' && input[i] !== '(') i++;
      tokens.push({ text: input.slice(start, i), quoted: false, at: start });
    }
  }
  return tokens;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
