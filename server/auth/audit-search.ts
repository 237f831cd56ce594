/**
 * AuditEvent search over the compact audit rows (audit-table.ts): the store-neutral SearchQuery conditions the FHIR
 * layer parsed (patient, agent, entity, date, type, subtype, action, outcome, _id, _lastUpdated, the compartment of a
 * patient-context token, ORs and ANDs of them) → one SQL WHERE clause on the row's columns. Anything else is a 400
 * (UnsupportedQueryError) rather than a silently wrong answer.
 */
import { UnsupportedQueryError } from '../store/resource-store.js';
import type { Comparison, Condition, RangeMatch, ReferenceValue, TokenValue } from '../fhir/search/search-query.js';
import { AUDIT_TOKEN_SYSTEMS } from './audit-rows.js';
import { pgArray } from '../store/postgres/pg-array.js';

/** Collects bind values; `bind(v)` returns its `$n`. */
export class Binder {
  readonly values: unknown[] = [];
  bind(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

const TOKEN_COLUMNS = { action: 'action', outcome: 'outcome', type: 'type', subtype: 'subtype' } as const;
const REFERENCE_COLUMNS: Readonly<Record<string, readonly ('agent' | 'entity')[]>> = {
  agent: ['agent'],
  entity: ['entity'],
  // AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)
  patient: ['agent', 'entity'],
};
const SQL_OPS: Readonly<Record<Comparison['op'], string>> = { lt: '<', le: '<=', gt: '>', ge: '>=', eq: '=' };

export function auditWhere(conditions: readonly Condition[], b: Binder): string {
  return conditions.length === 0 ? 'TRUE' : conditions.map((c) => `(${conditionSql(c, b, true)})`).join(' AND ');
}

function conditionSql(c: Condition, b: Binder, topLevel = false): string {
  switch (c.kind) {
    case 'has':
      // Within an access rule (read-access.ts: "does a resource of the patient's record refer to it?"): the trail
      // is not part of anyone's record (compartment-references.ts), so no. Asked for by a client: not supported.
      if (topLevel) break;
      return 'FALSE';
    case 'and':
      return c.all.length === 0 ? 'TRUE' : c.all.map((x) => `(${conditionSql(x, b)})`).join(' AND ');
    case 'or':
      return c.any.length === 0 ? 'FALSE' : c.any.map((x) => `(${conditionSql(x, b)})`).join(' OR ');
    case 'id': {
      const seqs = c.values.filter((v) => /^\d{1,18}$/.test(v));
      const inList = seqs.length === 0 ? 'FALSE' : `seq = ANY(${b.bind(pgArray(seqs))}::bigint[])`;
      return c.negate ? `NOT (${inList})` : inList;
    }
    case 'lastUpdated':
      return rangeSql(c.match, b);
    case 'date':
      if (c.param !== 'date') break;
      return rangeSql(c.match, b);
    case 'compartment':
      // AuditEvent's Patient compartment is its `patient` parameter
      if (!c.ref.startsWith('Patient/')) return 'FALSE';
      return referenceSql(['agent', 'entity'], [c.ref], b);
    case 'reference': {
      const columns = REFERENCE_COLUMNS[c.param];
      if (!columns) break;
      return referenceSql(columns, c.values.map(referenceOf(c.param === 'patient' ? 'Patient' : undefined)), b);
    }
    case 'token': {
      const column = TOKEN_COLUMNS[c.param as keyof typeof TOKEN_COLUMNS] as keyof typeof TOKEN_COLUMNS | undefined;
      if (!column) break;
      const codes = c.values.flatMap((v) => tokenCodes(column, v));
      const inList = codes.includes(ANY_CODE)
        ? `${column} IS NOT NULL`
        : codes.length === 0
          ? 'FALSE'
          : `${column} = ANY(${b.bind(pgArray(codes))}::text[])`;
      return c.negate ? `${column} IS NULL OR NOT (${inList})` : inList;
    }
    default:
      break;
  }
  const name = 'param' in c ? c.param : c.kind;
  throw new UnsupportedQueryError(
    `AuditEvent search supports patient, agent, entity, date, type, subtype, action, outcome, _id and _lastUpdated; not '${name}' in this form`,
  );
}

/** The recorded instant has millisecond precision: low = high = value = recorded_ms. */
function rangeSql(match: RangeMatch, b: Binder): string {
  if (match.length === 0) return 'FALSE';
  return match
    .map((all) =>
      all.length === 0 ? 'TRUE' : all.map((cmp) => `recorded_ms ${SQL_OPS[cmp.op]} ${b.bind(cmp.value)}`).join(' AND '),
    )
    .map((s) => `(${s})`)
    .join(' OR ');
}

/** A reference value → `Type/id` (or `*\/id` when no type was given), or undefined when it cannot match a row. */
function referenceOf(defaultType: string | undefined) {
  return (v: ReferenceValue): string | undefined => {
    if (v.match === 'literal') {
      const type = v.targetType ?? defaultType;
      return type ? `${type}/${v.targetId}` : `*/${v.targetId}`;
    }
    if (v.match === 'url') return v.url;
    throw new UnsupportedQueryError('AuditEvent search does not support :identifier on references');
  };
}

function referenceSql(columns: readonly string[], refs: ReadonlyArray<string | undefined>, b: Binder): string {
  const exact = refs.filter((r): r is string => !!r && !r.startsWith('*/'));
  const bareIds = refs.filter((r): r is string => !!r && r.startsWith('*/')).map((r) => r.slice(2));
  const parts: string[] = [];
  for (const column of columns) {
    if (exact.length > 0) parts.push(`${column} = ANY(${b.bind(pgArray(exact))}::text[])`);
    if (bareIds.length > 0) parts.push(`split_part(${column}, '/', 2) = ANY(${b.bind(pgArray(bareIds))}::text[])`);
  }
  return parts.length === 0 ? 'FALSE' : parts.join(' OR ');
}

const ANY_CODE = '\u0000any';

function tokenCodes(column: keyof typeof TOKEN_COLUMNS, v: TokenValue): string[] {
  if (v.match !== 'code') throw new UnsupportedQueryError(`AuditEvent ${column} supports code and system|code only`);
  if (v.system === null) return []; // `|code`: our codes always have a system
  if (v.system !== undefined && !AUDIT_TOKEN_SYSTEMS[column].includes(v.system)) return [];
  return [v.code ?? ANY_CODE]; // `system|`: any code of that system
}
