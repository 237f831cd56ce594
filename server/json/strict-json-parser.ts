/**
 * A strict JSON parser (RFC 8259) for the rare bodies the fast path cannot take as they are: it refuses what
 * JSON or FHIR forbids and JSON.parse lets through — a duplicate key at any depth, a lone surrogate (escaped
 * or raw), a `__proto__` key — naming where (a FHIRPath-like path), and it remembers the text of numbers
 * (number-texts.ts). Its values are exactly JSON.parse's otherwise.
 */
import { isWellFormed, JsonInputError } from './json-input-error.js';
import { needsText, setNumberText } from './number-texts.js';

const MAX_DEPTH = 512;

type Path = Array<string | number>;

export function parseStrictJson(text: string): unknown {
  return new StrictParser(text).parseDocument();
}

class StrictParser {
  private i = 0;
  private readonly path: Path = [];
  private rootType: string | undefined;

  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    this.skipSpace();
    const value = this.value(0);
    this.skipSpace();
    if (this.i < this.text.length) this.fail('Unexpected data after the JSON value');
    return value;
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) this.fail(`The JSON is nested more than ${MAX_DEPTH} levels deep`);
    const c = this.text.charCodeAt(this.i);
    switch (c) {
      case 123: // {
        return this.object(depth);
      case 91: // [
        return this.array(depth);
      case 34: // "
        return this.string();
      case 116: // t
        return this.literal('true', true);
      case 102: // f
        return this.literal('false', false);
      case 110: // n
        return this.literal('null', null);
      default:
        if (c === 45 || (c >= 48 && c <= 57)) return this.number();
        return this.fail(Number.isNaN(c) ? 'Unexpected end of the JSON text' : `Unexpected character ${this.show()}`);
    }
  }

  private object(depth: number): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    this.i++;
    this.skipSpace();
    if (this.text.charCodeAt(this.i) === 125) {
      this.i++;
      return result;
    }
    for (;;) {
      if (this.text.charCodeAt(this.i) !== 34) this.fail(`Expected a property name, found ${this.show()}`);
      const key = this.string();
      this.path.push(key);
      if (key === '__proto__') this.fail('The property name "__proto__" is not allowed');
      if (Object.prototype.hasOwnProperty.call(result, key)) {
        this.fail(`Duplicate property "${key.slice(0, 80)}": JSON object keys must be unique`);
      }
      this.skipSpace();
      if (this.text.charCodeAt(this.i) !== 58) this.fail(`Expected ':' after the property name, found ${this.show()}`);
      this.i++;
      this.skipSpace();
      const start = this.i;
      const child = this.value(depth + 1);
      result[key] = child;
      if (depth === 0 && key === 'resourceType' && typeof child === 'string') this.rootType = child;
      if (typeof child === 'number') this.rememberText(result, key, child, start);
      this.path.pop();
      this.skipSpace();
      const next = this.text.charCodeAt(this.i);
      this.i++;
      if (next === 125) return result;
      if (next !== 44) {
        this.i--;
        this.fail(`Expected ',' or '}' after a property value, found ${this.show()}`);
      }
      this.skipSpace();
    }
  }

  private array(depth: number): unknown[] {
    const result: unknown[] = [];
    this.i++;
    this.skipSpace();
    if (this.text.charCodeAt(this.i) === 93) {
      this.i++;
      return result;
    }
    for (;;) {
      this.path.push(result.length);
      const start = this.i;
      const item = this.value(depth + 1);
      result.push(item);
      if (typeof item === 'number') this.rememberText(result, result.length - 1, item, start);
      this.path.pop();
      this.skipSpace();
      const next = this.text.charCodeAt(this.i);
      this.i++;
      if (next === 93) return result;
      if (next !== 44) {
        this.i--;
        this.fail(`Expected ',' or ']' after an array element, found ${this.show()}`);
      }
      this.skipSpace();
    }
  }

  private rememberText(holder: object, key: string | number, value: number, start: number): void {
    const written = this.text.slice(start, this.i);
    if (needsText(value, written)) setNumberText(holder, key, written);
  }

  private string(): string {
    const text = this.text;
    let i = this.i + 1;
    let out = '';
    let segment = i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (Number.isNaN(c)) {
        this.i = i;
        this.fail('Unterminated string');
      }
      if (c < 0x20) {
        this.i = i;
        this.fail('A control character must be escaped inside a JSON string');
      }
      if (c !== 92) {
        i++;
        continue;
      }
      out += text.slice(segment, i);
      const e = text.charCodeAt(i + 1);
      i += 2;
      switch (e) {
        case 34:
          out += '"';
          break;
        case 92:
          out += '\\';
          break;
        case 47:
          out += '/';
          break;
        case 98:
          out += '\b';
          break;
        case 102:
          out += '\f';
          break;
        case 110:
          out += '\n';
          break;
        case 114:
          out += '\r';
          break;
        case 116:
          out += '\t';
          break;
        case 117: {
          const hex = text.slice(i, i + 4);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
            this.i = i - 2;
            this.fail('Invalid \\u escape in a string');
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.i = i - 2;
          this.fail('Invalid escape in a string');
      }
      segment = i;
    }
    out += text.slice(segment, i);
    this.i = i + 1;
    if (!isWellFormed(out)) {
      this.fail('The string holds a lone surrogate (half of a UTF-16 pair), which is not a Unicode character');
    }
    return out;
  }

  private number(): number {
    const match = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.i;
    const m = match.exec(this.text);
    if (!m) this.fail(`Invalid number ${this.show()}`);
    this.i += m[0].length;
    const next = this.text.charCodeAt(this.i);
    if ((next >= 48 && next <= 57) || next === 46 || next === 101 || next === 69) this.fail('Invalid number');
    return Number(m[0]);
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail(`Unexpected character ${this.show()}`);
    this.i += word.length;
    return value;
  }

  private skipSpace(): void {
    const text = this.text;
    let c = text.charCodeAt(this.i);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++this.i);
  }

  private show(): string {
    const c = this.text.codePointAt(this.i);
    return c === undefined ? 'the end of the text' : JSON.stringify(String.fromCodePoint(c));
  }

  private fail(message: string): never {
    throw new JsonInputError(message, formatPath(this.rootType, this.path), this.i);
  }
}

/** `Observation.component[1].valueQuantity`, with `$` for a root that has no resourceType (yet). */
export function formatPath(rootType: string | undefined, path: Path): string {
  let out = rootType ?? '$';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step.slice(0, 80))}]`;
  }
  return out;
}
