/** Bind parameters and unique table aliases of one SQL statement under construction. */
export class SqlParams {
  readonly values: unknown[] = [];
  #aliases = 0;

  /** Adds a bind parameter and returns its placeholder with an explicit cast (`$3::text`). */
  bind(value: unknown, type: SqlType): string {
    this.values.push(value);
    return `$${this.values.length}::${type}`;
  }

  alias(prefix: string): string {
    this.#aliases += 1;
    return `${prefix}${this.#aliases}`;
  }
}

export type SqlType = 'text' | 'text[]' | 'bigint' | 'float8' | 'int' | 'boolean';

/**
 * Bind parameters whose values no plan can see: `(SELECT $3::text)`, an InitPlan, evaluated once per execution (an
 * array cast once more, so that `= ANY(…)` takes it as an array, not as a subquery's rows). For a named statement
 * whose one plan must serve every value: PostgreSQL's custom plans then cost what its generic plan costs, so it keeps
 * the generic plan after its first five (a visible value, or a visible LIMIT, can keep it re-planning every time).
 */
export class HiddenValueParams extends SqlParams {
  override bind(value: unknown, type: SqlType): string {
    const hidden = `(SELECT ${super.bind(value, type)})`;
    return type.endsWith('[]') ? `${hidden}::${type}` : hidden;
  }
}

/** The resource row a condition is about: SQL expressions for its type, id and lastUpdated. */
/**
 * The resource row a condition is about. `probe`: the row is one already chosen (a led branch of searchAny walks its
 * lead's ids in order): each EXISTS gets OFFSET 0, which keeps PostgreSQL from turning it into a semi-join or a hashed
 * subplan, so it runs as a per-row probe of the side table's (resource_type, resource_id, param) index. Without it, a
 * key the planner estimates at 1 row (Patient gender: 8,000 entries at 1M resources) is scanned in full for every id.
 */
export type RowRef = { type: string; id: string; lastUpdatedMs: string; probe?: boolean };

export const FALSE = 'FALSE';
export const TRUE = 'TRUE';

export function anyOf(parts: string[]): string {
  if (parts.length === 0) return FALSE;
  return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
}

export function allOf(parts: string[]): string {
  if (parts.length === 0) return TRUE;
  return parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
}

/** Highest code point: `v <= x < v + MAX_CHAR` is "x starts with v" in the C collation. */
export const MAX_CHAR = '\u{10FFFF}';

/** `column` starts with `prefix`, as a btree range (index-friendly, no LIKE pattern). */
export function startsWith(column: string, prefix: string, params: SqlParams): string {
  return `(${column} >= ${params.bind(prefix, 'text')} AND ${column} < ${params.bind(prefix + MAX_CHAR, 'text')})`;
}

/** Escapes LIKE wildcards so that user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}
