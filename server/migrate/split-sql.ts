/**
 * Splits a MySQL/MariaDB migration script into statements the way the mysql client and Flyway do:
 * statements end at the current delimiter (`;` unless changed by a `DELIMITER //` line), which is
 * ignored inside quotes ('…', "…", `…`) and comments (`-- `, `#`, `/* … *\/`). Executable comments
 * (`/*! … *\/`) are kept with their statement. Stored programs and triggers use `DELIMITER` around
 * their BEGIN … END body, as with the mysql client.
 */
export type SqlStatement = { sql: string; line: number };

export function splitMysqlScript(script: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  let delimiter = ';';
  let current = '';
  let startLine = 0;
  let line = 1;
  let i = 0;
  const n = script.length;
  const atLineStart = () => (i === 0 || script[i - 1] === '\n') && onlyComments(current);

  const flush = () => {
    const sql = current.trim();
    const lead = /^(?:\s|--[^\n]*|#[^\n]*|\/\*(?!!)[\s\S]*?\*\/)*/.exec(current)![0];
    if (!onlyComments(sql)) out.push({ sql, line: startLine + countNewlines(lead) });
    current = '';
    startLine = 0;
  };

  while (i < n) {
    const c = script[i]!;
    // DELIMITER directive: only at the start of a statement, on its own line.
    if (atLineStart() && (c === 'D' || c === 'd') && /^delimiter\s/i.test(script.slice(i, i + 10))) {
      const end = script.indexOf('\n', i);
      const directive = script.slice(i, end === -1 ? n : end).trim();
      const value = directive.slice('delimiter'.length).trim();
      if (value === '') throw new Error(`line ${line}: DELIMITER without a value`);
      delimiter = value;
      current = '';
      i = end === -1 ? n : end + 1;
      line++;
      continue;
    }
    if (current === '') startLine = line;
    if (script.startsWith(delimiter, i)) {
      i += delimiter.length;
      flush();
      continue;
    }
    if (c === '\n') line++;
    if (c === "'" || c === '"' || c === '`') {
      const end = endOfQuoted(script, i, c);
      const chunk = script.slice(i, end);
      line += countNewlines(chunk);
      current += chunk;
      i = end;
      continue;
    }
    if (
      (c === '-' && script.startsWith('-- ', i)) ||
      script.startsWith('--\n', i) ||
      script.startsWith('--\r', i) ||
      c === '#'
    ) {
      const end = script.indexOf('\n', i);
      const chunk = script.slice(i, end === -1 ? n : end);
      current += chunk;
      i = end === -1 ? n : end;
      continue;
    }
    if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      if (end === -1) throw new Error(`line ${line}: unterminated comment`);
      const chunk = script.slice(i, end + 2);
      line += countNewlines(chunk);
      current += chunk;
      i = end + 2;
      continue;
    }
    current += c;
    i++;
  }
  flush();
  return out;
}

function onlyComments(s: string): boolean {
  return /^(?:\s|--[^\n]*(?:\n|$)|#[^\n]*(?:\n|$)|\/\*(?!!)[\s\S]*?\*\/)*$/.test(s);
}

function endOfQuoted(s: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\' && quote !== '`') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (s[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  throw new Error(`unterminated ${quote} quote starting at offset ${start}`);
}

function countNewlines(s: string): number {
  let k = 0;
  for (const ch of s) if (ch === '\n') k++;
  return k;
}
