/** What a transform sees: the message, code tables, site options and where the value came from. */
import type { Hl7Message, Segment, V2Value } from '../parser/hl7-message.js';
import type { CodeTables } from './code-tables.js';
import { MappingError } from './mapping-error.js';

export interface MappingOptions {
  /** Offset applied to v2 times without one (Sudan: +02:00). */
  readonly defaultTimezone: string;
  /** Base for identifier systems of v2 namespaces that have no OID/URI (CX-4.1, EI-2). */
  readonly identifierSystemBase: string;
}

export const DEFAULT_OPTIONS: MappingOptions = {
  defaultTimezone: '+02:00',
  identifierSystemBase: 'urn:nilecare:v2:namespace:',
};

export interface TransformContext {
  readonly msg: Hl7Message;
  readonly tables: CodeTables;
  readonly options: MappingOptions;
  readonly segment: Segment;
  readonly field: number;
  readonly component?: number;
  /** Rule's code table, when it names one. */
  readonly table?: string;
}

/** Unescaped text of component c / subcomponent s of a value. */
export function txt(ctx: TransformContext, v: V2Value | undefined, c = 1, s = 1): string {
  return ctx.msg.text(v, c, s).trim();
}

export function fail(ctx: TransformContext, message: string, code: '101' | '102' | '103' = '102'): never {
  throw new MappingError(
    `${ctx.segment.name}-${ctx.field}${ctx.component ? '.' + ctx.component : ''}: ${message}`,
    code,
    {
      segment: ctx.segment.name,
      sequence: ctx.segment.index,
      field: ctx.field,
      ...(ctx.component ? { component: ctx.component } : {}),
    },
  );
}

/** Removes undefined, empty strings, empty arrays and empty objects (recursively). */
export function compact<T>(value: T): T | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const arr: unknown[] = [];
    for (const x of value as unknown[]) {
      const c = compact(x);
      if (c !== undefined) arr.push(c);
    }
    return (arr.length ? arr : undefined) as T | undefined;
  }
  // every resource of every message goes through here: no entry arrays, no key lists
  const source = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k in source) {
    if (!Object.hasOwn(source, k)) continue;
    const c = compact(source[k]);
    if (c !== undefined) (out ??= {})[k] = c;
  }
  return out as T | undefined;
}
