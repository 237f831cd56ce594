import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { flywayChecksum } from './checksum.js';

/** The three kinds of Flyway SQL migrations, by file prefix. */
export const MigrationKind = { versioned: 'V', undo: 'U', repeatable: 'R' } as const;
export type MigrationKind = keyof typeof MigrationKind;

/** One migration script found on disk. */
export type MigrationFile = {
  kind: MigrationKind;
  /** Normalised version ("1", "1.2"); null for repeatables. */
  version: string | null;
  /** Flyway's description: the name part with underscores shown as spaces. */
  description: string;
  /** File name, as stored in flyway_schema_history.script. */
  script: string;
  path: string;
  checksum: number;
  sql: string;
};

const NAME = /^(V|U)(\d+(?:[._]\d+)*)__(.+)\.sql$|^R__(.+)\.sql$/;

/** Parses a Flyway file name; null when the name is not a migration (e.g. README.md). */
export function parseMigrationName(fileName: string): Pick<MigrationFile, 'kind' | 'version' | 'description'> | null {
  const m = NAME.exec(fileName);
  if (!m) return null;
  if (m[4] !== undefined) return { kind: 'repeatable', version: null, description: describe(m[4]) };
  const kind: MigrationKind = m[1] === 'V' ? 'versioned' : 'undo';
  return { kind, version: normalizeVersion(m[2]!), description: describe(m[3]!) };
}

function describe(namePart: string): string {
  return namePart.replace(/_/g, ' ');
}

/** "1_2" and "1.2" are the same version; leading zeros are dropped ("01" → "1"). */
export function normalizeVersion(version: string): string {
  return version
    .split(/[._]/)
    .map((p) => String(BigInt(p)))
    .join('.');
}

/** Orders versions numerically part by part: 1 < 1.1 < 2 < 10. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((p) => BigInt(p));
  const pb = b.split('.').map((p) => BigInt(p));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0n;
    const y = pb[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export class MigrationFolderError extends Error {
  override name = 'MigrationFolderError';
}

/**
 * Reads every migration script of one folder (not recursive), sorted: versioned and undo scripts
 * by version, repeatables by description. Rejects duplicate versions and unrecognised *.sql names,
 * which Flyway would also refuse.
 */
export function loadMigrationFolder(dir: string): MigrationFile[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new MigrationFolderError(`migration folder not found: ${dir}`);
  const files: MigrationFile[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.sql')) continue;
    const parsed = parseMigrationName(name);
    if (!parsed)
      throw new MigrationFolderError(
        `${join(dir, name)}: not a Flyway name (V<version>__<description>.sql, U<version>__…, R__…)`,
      );
    const path = join(dir, name);
    const sql = readFileSync(path, 'utf8');
    files.push({ ...parsed, script: name, path, sql, checksum: flywayChecksum(sql) });
  }
  for (const kind of ['versioned', 'undo'] as const) {
    const seen = new Map<string, string>();
    for (const f of files.filter((x) => x.kind === kind)) {
      const other = seen.get(f.version!);
      if (other) throw new MigrationFolderError(`${dir}: ${other} and ${f.script} have the same version ${f.version}`);
      seen.set(f.version!, f.script);
    }
  }
  const repeatables = new Set<string>();
  for (const f of files.filter((x) => x.kind === 'repeatable')) {
    if (repeatables.has(f.description))
      throw new MigrationFolderError(`${dir}: two repeatable migrations named ${f.description}`);
    repeatables.add(f.description);
  }
  return files.sort((a, b) => {
    if (a.version && b.version)
      return compareVersions(a.version, b.version) || (a.kind === b.kind ? 0 : a.kind === 'versioned' ? -1 : 1);
    if (a.version) return -1;
    if (b.version) return 1;
    return a.description.localeCompare(b.description);
  });
}
