import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSession, type ConnectionOptions, type Engine, type MigrationSession } from './connection.js';
import {
  deleteFailedRows,
  ensureHistoryTable,
  historyTableExists,
  insertHistory,
  readHistory,
  updateChecksum,
  HistoryType,
  HISTORY_TABLE,
} from './history-table.js';
import { compareVersions, loadMigrationFolder, normalizeVersion, type MigrationFile } from './migration-file.js';
import { computeState, validationErrors, MigrationState, type InfoRow, type SchemaState } from './migration-state.js';
import { applyScript } from './apply-script.js';
import { MigrationError } from './migration-error.js';

export { MigrationError };

export const DEFAULT_MIGRATIONS_ROOT = fileURLToPath(new URL('../../migrations', import.meta.url));

export type MigrateOptions = {
  engine: Engine;
  /** Logical database name, e.g. nilecare_auth: its scripts are in <migrationsRoot>/<engine>/<database>. */
  database: string;
  /** The target database itself (by default a database named like the logical one). */
  connection: ConnectionOptions;
  /**
   * migrate: highest version to apply ('latest' by default). undo: undo every version above it (default: only the
   * latest).
   */
  target?: string;
  log?: (line: string) => void;
  /** Root folder of the migrations (default: the repository's migrations/). */
  migrationsRoot?: string;
  /** How long to wait for another process's migration lock (default 300 s). */
  lockTimeoutSeconds?: number;
  /** Opens the session instead of `connection` (the state schemas kept in the FHIR store's PostgreSQL). */
  session?: () => Promise<MigrationSession>;
};

export type AppliedMigration = {
  version: string | null;
  description: string;
  script: string;
  type: string;
  executionTimeMs: number;
  statements: number;
};

export type MigrateResult = {
  engine: Engine;
  database: string;
  schema: string;
  initialVersion: string | null;
  /** Version after the run (null: empty schema). */
  targetVersion: string | null;
  applied: AppliedMigration[];
};

export function migrationFolder(engine: Engine, database: string, root = DEFAULT_MIGRATIONS_ROOT): string {
  if (!/^[a-z][a-z0-9_]*$/.test(database)) throw new MigrationError(`invalid logical database name: ${database}`);
  return join(root, engine, database);
}

type Context = { s: MigrationSession; files: MigrationFile[]; log: (line: string) => void; label: string };

async function withSession<T>(o: MigrateOptions, fn: (c: Context) => Promise<T>): Promise<T> {
  const files = loadMigrationFolder(migrationFolder(o.engine, o.database, o.migrationsRoot));
  const s = o.session ? await o.session() : await openSession(o.engine, o.connection, o.database);
  try {
    const label = `${s.databaseName} (${o.engine}, migrations/${o.engine}/${o.database})`;
    return await fn({ s, files, log: o.log ?? (() => {}), label });
  } finally {
    await s.close().catch(() => {});
  }
}

async function withLock<T>(c: Context, o: MigrateOptions, fn: () => Promise<T>): Promise<T> {
  const name = `flyway_${c.s.engine === 'mysql' ? c.s.schemaName : o.database}`.slice(0, 64);
  const timeout = o.lockTimeoutSeconds ?? 300;
  let got = await c.s.tryLock(name, 0);
  if (!got) {
    c.log(`Waiting for the migration lock "${name}" (another process is migrating)…`);
    got = await c.s.tryLock(name, timeout);
    if (!got) throw new MigrationError(`could not take the migration lock "${name}" within ${timeout} s`);
  }
  try {
    return await fn();
  } finally {
    await c.s.unlock(name).catch(() => {});
  }
}

async function loadState(c: Context): Promise<SchemaState> {
  const history = (await historyTableExists(c.s)) ? await readHistory(c.s) : [];
  return computeState(c.files, history);
}

const show = (v: string | null) => (v === null ? '<< Empty Schema >>' : v);

/** Applies pending versioned migrations (up to `target`), then new or changed repeatables. */
export async function migrateDatabase(o: MigrateOptions): Promise<MigrateResult> {
  return withSession(o, (c) =>
    withLock(c, o, async () => {
      await ensureHistoryTable(c.s);
      const state = await loadState(c);
      const errors = validationErrors(state);
      if (errors.length) throw new MigrationError(`Validate failed for ${c.label}; nothing was migrated`, errors);
      c.log(`Successfully validated ${c.files.filter((f) => f.kind !== 'undo').length} migrations of ${c.label}`);
      c.log(`Current version of schema: ${show(state.currentVersion)}`);
      const target = o.target && o.target !== 'latest' ? normalizeVersion(o.target) : null;
      if (target !== null && state.currentVersion !== null && compareVersions(target, state.currentVersion) < 0) {
        throw new MigrationError(
          `target ${target} is below the current version ${state.currentVersion}: use undo to go down`,
        );
      }
      const versions = state.rows.filter(
        (r) =>
          r.category === 'Versioned' &&
          r.file &&
          (r.state === MigrationState.pending || r.state === MigrationState.undone) &&
          (target === null || compareVersions(r.version!, target) <= 0),
      );
      const repeatables = state.rows.filter(
        (r) =>
          r.category === 'Repeatable' &&
          r.file &&
          (r.state === MigrationState.pending || r.state === MigrationState.outdated || versions.length > 0),
      );
      const applied: AppliedMigration[] = [];
      let current = state.currentVersion;
      for (const r of versions) {
        c.log(`Migrating schema to version "${r.version} - ${r.description}"`);
        applied.push(await applyScript(c.s, r.file!, HistoryType.sql, c.log));
        current = r.version;
      }
      for (const r of repeatables) {
        c.log(`Migrating schema with repeatable migration "${r.description}"`);
        applied.push(await applyScript(c.s, r.file!, HistoryType.sql, c.log));
      }
      const maintenance = await runMaintenance(c.s);
      for (const line of maintenance) c.log(`Maintenance: ${line}`);
      const ms = applied.reduce((t, a) => t + a.executionTimeMs, 0);
      c.log(
        applied.length === 0
          ? `Schema is up to date (version ${show(current)}). No migration necessary.`
          : `Successfully applied ${applied.length} migration${applied.length === 1 ? '' : 's'}, now at version ${show(current)} (${ms} ms)`,
      );
      return {
        engine: o.engine,
        database: o.database,
        schema: c.s.schemaName,
        initialVersion: state.currentVersion,
        targetVersion: current,
        applied,
      };
    }),
  );
}

/** Runs U scripts, newest first: every applied version above `target`, or only the latest when no target. */
export async function undoDatabase(o: MigrateOptions): Promise<MigrateResult> {
  return withSession(o, (c) =>
    withLock(c, o, async () => {
      await ensureHistoryTable(c.s);
      const state = await loadState(c);
      const errors = validationErrors(state);
      if (errors.length) throw new MigrationError(`Validate failed for ${c.label}; nothing was undone`, errors);
      const future = state.rows.filter((r) => r.state === MigrationState.future);
      if (future.length)
        throw new MigrationError(
          `cannot undo: applied versions are newer than the local migrations`,
          future.map((r) => `version ${r.version} (${r.script})`),
        );
      const appliedRows = state.rows
        .filter((r) => r.category === 'Versioned' && r.state === MigrationState.success)
        .reverse();
      const target = o.target && o.target !== 'latest' ? normalizeVersion(o.target) : null;
      const todo =
        target === null ? appliedRows.slice(0, 1) : appliedRows.filter((r) => compareVersions(r.version!, target) > 0);
      const missing = todo.filter((r) => !r.undoFile);
      if (missing.length)
        throw new MigrationError(
          `cannot undo: no U script for`,
          missing.map((r) => `version ${r.version} (${r.script})`),
        );
      const applied: AppliedMigration[] = [];
      let current = state.currentVersion;
      for (const r of todo) {
        c.log(`Undoing migration of schema to version "${r.version} - ${r.description}" with ${r.undoFile!.script}`);
        applied.push(await applyScript(c.s, r.undoFile!, HistoryType.undo, c.log));
        current = appliedRows.find((x) => compareVersions(x.version!, r.version!) < 0)?.version ?? null;
      }
      c.log(
        todo.length === 0
          ? `Nothing to undo (version ${show(current)})`
          : `Successfully undid ${todo.length} migration${todo.length === 1 ? '' : 's'}, now at version ${show(current)}`,
      );
      return {
        engine: o.engine,
        database: o.database,
        schema: c.s.schemaName,
        initialVersion: state.currentVersion,
        targetVersion: current,
        applied,
      };
    }),
  );
}

export type InfoResult = { currentVersion: string | null; rows: InfoRow[] };

export async function infoDatabase(o: MigrateOptions): Promise<InfoResult> {
  return withSession(o, async (c) => {
    const state = await loadState(c);
    return { currentVersion: state.currentVersion, rows: state.rows };
  });
}

export type ValidateResult = { valid: boolean; errors: string[]; pending: number };

export async function validateDatabase(o: MigrateOptions): Promise<ValidateResult> {
  return withSession(o, async (c) => {
    const state = await loadState(c);
    const errors = validationErrors(state);
    const pending = state.rows.filter(
      (r) =>
        r.state === MigrationState.pending || r.state === MigrationState.outdated || r.state === MigrationState.undone,
    ).length;
    return { valid: errors.length === 0, errors, pending };
  });
}

export type RepairResult = { removedFailedRows: number; realignedChecksums: string[] };

/** Removes failed rows and realigns the recorded checksums and descriptions with the files on disk. */
export async function repairDatabase(o: MigrateOptions): Promise<RepairResult> {
  return withSession(o, (c) =>
    withLock(c, o, async () => {
      await ensureHistoryTable(c.s);
      const removed = await deleteFailedRows(c.s);
      const state = await loadState(c);
      const realigned: string[] = [];
      for (const r of state.rows) {
        if (
          !r.checksumMismatch &&
          !(
            r.applied &&
            r.file &&
            r.state === MigrationState.success &&
            r.applied.description !== r.file.description &&
            r.category === 'Versioned'
          )
        )
          continue;
        await updateChecksum(c.s, r.applied!.installedRank, r.file!.checksum, r.file!.description);
        realigned.push(r.script);
      }
      c.log(
        `Repair: removed ${removed} failed row${removed === 1 ? '' : 's'}, realigned ${realigned.length} checksum${realigned.length === 1 ? '' : 's'}${realigned.length ? `: ${realigned.join(', ')}` : ''}`,
      );
      return { removedFailedRows: removed, realignedChecksums: realigned };
    }),
  );
}

/**
 * Adopts an existing database whose schema already is at `target` (default 1): writes Flyway's
 * BASELINE row, so versions up to it are never run. Refuses when the history already has rows.
 */
export async function baselineDatabase(o: MigrateOptions): Promise<string> {
  return withSession(o, (c) =>
    withLock(c, o, async () => {
      await ensureHistoryTable(c.s);
      const history = await readHistory(c.s);
      if (history.length > 0)
        throw new MigrationError(`cannot baseline: ${HISTORY_TABLE} already has ${history.length} row(s)`);
      const version = normalizeVersion(o.target && o.target !== 'latest' ? o.target : '1');
      await insertHistory(c.s, {
        version,
        description: '<< Flyway Baseline >>',
        type: HistoryType.baseline,
        script: '<< Flyway Baseline >>',
        checksum: null,
        installedBy: await c.s.currentUser(),
        executionTime: 0,
        success: true,
      });
      c.log(`Successfully baselined schema with version: ${version}`);
      return version;
    }),
  );
}

/** Runs the schema's own maintenance (partition creation and retention), if it defines `nilecare_maintain()`. */
export async function maintainDatabase(o: MigrateOptions & { now?: Date }): Promise<string[]> {
  return withSession(o, async (c) => {
    const lines = await runMaintenance(c.s, o.now);
    for (const line of lines) c.log(`Maintenance: ${line}`);
    if (lines.length === 0) c.log('Maintenance: nothing to do');
    return lines;
  });
}

async function runMaintenance(s: MigrationSession, now?: Date): Promise<string[]> {
  if (s.engine !== 'postgres') return [];
  const fn = await s.query(
    `SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() AND p.proname = 'nilecare_maintain'`,
  );
  if (fn.length === 0) return [];
  const rows = await s.query<{ line: string }>(`SELECT nilecare_maintain(?::timestamptz) AS line`, [
    (now ?? new Date()).toISOString(),
  ]);
  return rows.map((r) => r.line);
}
