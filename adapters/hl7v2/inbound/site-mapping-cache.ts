/**
 * The site's fhir_mappings rows, read at message time: the rows are kept in memory and read again as soon as
 * `mappingsVersion()` changes, which is checked at most every `checkEveryMs` (default 1 s) — a changed field rule,
 * code table or template applies to the messages that arrive after it, without a release or a restart.
 * The mapping set and tables for a combination of applicable rows are built once and reused.
 * In the server, code rows do not stay here: `moveCodeRow` moves each into a ConceptMap and the row is deactivated
 * (issue #23: one place for codes); the code-table ConceptMaps (`codeMaps`) apply instead — unscoped ones over the
 * shipped tables, scoped ones like rows. Without a mover (tools, tests) code rows apply as rows.
 */
import type { Hl7Message } from '../parser/hl7-message.js';
import type { MessageLog } from '../log/message-log.js';
import { CodeTables, type CodeOverride } from '../mapping/code-tables.js';
import { loadMappings, type MappingSet } from '../mapping/load-mappings.js';
import {
  applyRows,
  rowApplies,
  rowEffect,
  scopeOf,
  type MappingRow,
  type RowEffect,
} from '../mapping/site-mappings.js';

export interface MessageMappings {
  readonly mappings: MappingSet;
  readonly tables: CodeTables;
}

export type SiteMappings = (msg: Hl7Message) => Promise<MessageMappings>;

export interface SiteMappingOptions {
  readonly defaults?: MessageMappings;
  readonly checkEveryMs?: number;
  /** A row that cannot be used (reported once per row version). */
  readonly onProblem?: (row: MappingRow, reason: string) => void;
  /**
   * Code tables kept as ConceptMap resources (server/fhir/terminology/code-table-maps.ts), checked with the rows:
   * the unscoped ones laid over the shipped tables; the scoped ones (each with the scope of a row) applied like rows.
   */
  readonly codeMaps?: () => Promise<{
    version: string;
    overrides: readonly CodeOverride[];
    scoped?: readonly { scope: MappingRow; overrides: readonly CodeOverride[] }[];
  }>;
  /**
   * Moves a code row into a ConceptMap (server/fhir/terminology/code-row-maps.ts), resolving with where it went: the
   * row is then deactivated (retireMappingRow) and its codes apply from the ConceptMap — one place to change them.
   * A row that cannot be moved is reported and applied as a row meanwhile.
   */
  readonly moveCodeRow?: (row: MappingRow, codes: readonly CodeOverride[]) => Promise<string>;
}

/** The defaults only (no site rows): for tools and tests that have no message log. */
export function fixedMappings(defaults: MessageMappings = defaultMappings()): SiteMappings {
  return async () => defaults;
}

export function defaultMappings(): MessageMappings {
  return { mappings: loadMappings(), tables: CodeTables.loadDefaults() };
}

export function siteMappings(log: MessageLog, options: SiteMappingOptions = {}): SiteMappings {
  const shipped = options.defaults ?? defaultMappings();
  let defaults = shipped;
  let codeMapsVersion: string | undefined;
  const checkEveryMs = options.checkEveryMs ?? 1000;
  let version: string | undefined;
  let rows: { row: MappingRow; effect: RowEffect }[] = [];
  let checkedAt = -Infinity;
  let refreshing: Promise<void> | undefined;
  let built = new Map<string, MessageMappings>();
  const reported = new Set<string>();

  let rowRules: { row: MappingRow; effect: RowEffect }[] = [];
  let scopedMaps: { row: MappingRow; effect: RowEffect }[] = [];
  const report = (row: MappingRow, problem: string) => {
    const key = `${row.id}@${row.version}:${problem}`;
    if (reported.has(key)) return;
    reported.add(key);
    options.onProblem?.(row, problem);
  };
  /** True when the row's codes now live in a ConceptMap (the row is deactivated, or will be at the next check). */
  const moved = async (row: MappingRow, codes: readonly CodeOverride[]): Promise<boolean> => {
    try {
      const where = await options.moveCodeRow!(row, codes);
      await log.retireMappingRow(row, `Moved to ${where}: HL7 v2 code tables are ConceptMaps (issue #23).`);
      return true;
    } catch (error) {
      report(row, `not moved to a ConceptMap (${(error as Error).message}); applied as a row meanwhile`);
      return false;
    }
  };

  const refresh = async () => {
    const now = await log.mappingsVersion();
    checkedAt = Date.now();
    let changed = false;
    if (now !== version) {
      const usable: { row: MappingRow; effect: RowEffect }[] = [];
      for (const row of await log.mappingRows()) {
        const effect = rowEffect(row);
        const problem = effect.kind === 'invalid' ? effect.reason : unknownMaps(effect, defaults.mappings);
        if (problem) {
          report(row, problem);
          continue;
        }
        const usableEffect = effect as RowEffect;
        if (usableEffect.kind === 'codes' && options.moveCodeRow && (await moved(row, usableEffect.overrides)))
          continue;
        usable.push({ row, effect: usableEffect });
      }
      rowRules = usable;
      version = now;
      changed = true;
    }
    let codeMaps: Awaited<ReturnType<NonNullable<SiteMappingOptions['codeMaps']>>> | undefined;
    try {
      codeMaps = await options.codeMaps?.(); // after the moves: a map written just now is in it
    } catch {
      codeMaps = undefined; // the FHIR store did not answer: the tables in force stay, tried again at the next check
    }
    if (codeMaps && codeMaps.version !== codeMapsVersion) {
      defaults = codeMaps.overrides.length
        ? { mappings: shipped.mappings, tables: shipped.tables.withOverrides(codeMaps.overrides) }
        : shipped;
      scopedMaps = (codeMaps.scoped ?? []).map((m) => ({
        row: m.scope,
        effect: { kind: 'codes', overrides: [...m.overrides] },
      }));
      codeMapsVersion = codeMaps.version;
      changed = true;
    }
    if (!changed) return;
    // rows and scoped maps from higher priority numbers to lower (lower numbers win); stable within a priority
    rows = [...rowRules, ...scopedMaps].sort((a, b) => b.row.priority - a.row.priority);
    built = new Map();
  };

  return async (msg) => {
    if (Date.now() - checkedAt >= checkEveryMs) {
      refreshing ??= refresh().finally(() => (refreshing = undefined));
      await refreshing;
    }
    if (rows.length === 0) return defaults;
    const scope = scopeOf(msg);
    const applicable = rows.filter((r) => rowApplies(r.row, scope));
    if (applicable.length === 0) return defaults;
    const key = applicable.map((r) => r.row.id).join(',');
    let result = built.get(key);
    if (!result) {
      result = applyRows(
        defaults,
        applicable.map((r) => r.effect),
      );
      if (built.size < 1000) built.set(key, result);
    }
    return result;
  };
}

/** A row naming segment maps this release does not have would fail every message (or do nothing): refused instead. */
function unknownMaps(effect: RowEffect, mappings: MappingSet): string | undefined {
  if (effect.kind === 'field')
    return mappings.segments.has(effect.map) ? undefined : `no segment map ${effect.map} in this release`;
  if (effect.kind !== 'template') return undefined;
  for (const e of effect.template.entries) {
    const map = mappings.segments.get(e.map);
    if (!map) return `template names unknown segment map ${e.map}`;
    if (map.segment !== e.segment) return `segment map ${e.map} is for ${map.segment}, not ${e.segment}`;
  }
  return undefined;
}
