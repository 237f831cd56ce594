import { ScriptError, type MigrationSession } from './connection.js';
import { insertHistory, type HistoryType } from './history-table.js';
import type { MigrationFile } from './migration-file.js';
import type { AppliedMigration } from './migrate.js';
import { MigrationError } from './migration-error.js';

/**
 * Runs one script and records it in flyway_schema_history. PostgreSQL: script and history row in
 * one transaction, so a failure leaves nothing behind. MySQL/MariaDB: DDL commits implicitly, so a
 * failure is recorded as a failed row (as Flyway does) that migrate:repair removes once fixed.
 */
export async function applyScript(
  s: MigrationSession,
  file: MigrationFile,
  type: (typeof HistoryType)[keyof typeof HistoryType],
  log: (line: string) => void,
): Promise<AppliedMigration> {
  const installedBy = await s.currentUser();
  const started = Date.now();
  let statements = 0;
  const row = {
    version: file.version,
    description: file.description,
    type,
    script: file.script,
    checksum: file.checksum,
    installedBy,
  };
  await s.begin();
  try {
    await s.runScript(file.sql, () => void statements++);
    if (s.transactionalDdl) await insertHistory(s, { ...row, executionTime: Date.now() - started, success: true });
    await s.commit();
    if (!s.transactionalDdl) await insertHistory(s, { ...row, executionTime: Date.now() - started, success: true });
  } catch (e) {
    await s.rollback().catch(() => {});
    if (!s.transactionalDdl) {
      await insertHistory(s, { ...row, executionTime: Date.now() - started, success: false }).catch(() => {});
    }
    const where = e instanceof ScriptError ? e.message : (e as Error).message;
    const hint = s.transactionalDdl
      ? 'the transaction was rolled back'
      : 'MySQL commits DDL implicitly: statements before the failing one stay applied; fix by hand, then migrate:repair';
    throw new MigrationError(`Migration ${file.script} failed (${hint})`, [where], e);
  }
  const executionTimeMs = Date.now() - started;
  const what = s.engine === 'mysql' ? `${statements} statement${statements === 1 ? '' : 's'}, ` : '';
  log(`  ${file.script}: done (${what}${executionTimeMs} ms)`);
  return {
    version: file.version,
    description: file.description,
    script: file.script,
    type,
    executionTimeMs,
    statements,
  };
}
