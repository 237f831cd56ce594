/**
 * Code tables: v2 code → FHIR coding, by table name. Defaults come from mappings/code-tables/*.json (the IG's
 * vocabulary maps plus site tables); a site's rows from nilecare_interop.fhir_mappings are laid over them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAPPINGS_DIR } from './mapping-files.js';

export interface TableCoding {
  readonly code: string;
  readonly display?: string;
  readonly system?: string;
}

/** One override row (the shape of a fhir_mappings row as the message log returns it). */
export interface CodeOverride {
  readonly table: string;
  readonly source: string;
  readonly target: TableCoding;
}

export class CodeTables {
  private constructor(private readonly tables: ReadonlyMap<string, ReadonlyMap<string, TableCoding>>) {}

  static fromData(data: Record<string, Record<string, TableCoding>>): CodeTables {
    return new CodeTables(new Map(Object.entries(data).map(([name, rows]) => [name, new Map(Object.entries(rows))])));
  }

  /** The default tables shipped in mappings/code-tables. */
  static loadDefaults(dir = join(MAPPINGS_DIR, 'code-tables')): CodeTables {
    const merged: Record<string, Record<string, TableCoding>> = {};
    for (const f of readdirSync(dir)
      .filter((n) => n.endsWith('.json'))
      .sort()) {
      const file = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
        tables: Record<string, Record<string, TableCoding>>;
      };
      for (const [name, rows] of Object.entries(file.tables)) merged[name] = { ...(merged[name] ?? {}), ...rows };
    }
    return CodeTables.fromData(merged);
  }

  /** A copy with site overrides applied (later rows win). */
  withOverrides(rows: readonly CodeOverride[]): CodeTables {
    const copy = new Map([...this.tables].map(([k, v]) => [k, new Map(v)]));
    for (const r of rows) {
      const t = copy.get(r.table) ?? new Map<string, TableCoding>();
      t.set(r.source, r.target);
      copy.set(r.table, t);
    }
    return new CodeTables(copy);
  }

  has(table: string): boolean {
    return this.tables.has(table);
  }

  lookup(table: string, code: string): TableCoding | undefined {
    const t = this.tables.get(table);
    return t?.get(code) ?? t?.get(code.toUpperCase()) ?? t?.get(code.trim());
  }

  /** FHIR system URI for a v2 coding system name (table 0396), HL7 tables and OIDs included. */
  system(v2System: string): string | undefined {
    if (!v2System) return undefined;
    const mapped = this.lookup('CodingSystem', v2System)?.code;
    if (mapped) return mapped;
    const hl7 = /^HL7(\d{4})$/i.exec(v2System);
    if (hl7) return `http://terminology.hl7.org/CodeSystem/v2-${hl7[1]}`;
    if (/^\d+(\.\d+)+$/.test(v2System)) return `urn:oid:${v2System}`;
    if (/^[a-z][a-z0-9+.-]*:/i.test(v2System)) return v2System;
    return undefined;
  }
}
