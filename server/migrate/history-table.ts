import type { MigrationSession } from './connection.js';

/** Flyway's history table name and its exact columns, so the real Flyway CLI can take over. */
export const HISTORY_TABLE = 'flyway_schema_history';

/** Row types Flyway writes that this runner uses. */
export const HistoryType = { sql: 'SQL', undo: 'UNDO_SQL', baseline: 'BASELINE', delete: 'DELETE' } as const;

export type HistoryRow = {
  installedRank: number;
  version: string | null;
  description: string;
  type: string;
  script: string;
  checksum: number | null;
  installedBy: string;
  installedOn: string;
  executionTime: number;
  success: boolean;
};

export async function ensureHistoryTable(s: MigrationSession): Promise<void> {
  const ts = s.engine === 'mysql' ? 'TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP' : 'TIMESTAMP NOT NULL DEFAULT now()';
  const bool = s.engine === 'mysql' ? 'TINYINT(1)' : 'BOOLEAN';
  await s.query(`CREATE TABLE IF NOT EXISTS ${HISTORY_TABLE} (
    installed_rank INT NOT NULL,
    version VARCHAR(50),
    description VARCHAR(200) NOT NULL,
    type VARCHAR(20) NOT NULL,
    script VARCHAR(1000) NOT NULL,
    checksum INT,
    installed_by VARCHAR(100) NOT NULL,
    installed_on ${ts},
    execution_time INT NOT NULL,
    success ${bool} NOT NULL,
    CONSTRAINT ${HISTORY_TABLE}_pk PRIMARY KEY (installed_rank)
  )${s.engine === 'mysql' ? ' ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' : ''}`);
  const exists =
    s.engine === 'mysql'
      ? await s.query(
          `SELECT 1 FROM information_schema.statistics WHERE table_schema = DATABASE() AND table_name = ? AND index_name = ?`,
          [HISTORY_TABLE, `${HISTORY_TABLE}_s_idx`],
        )
      : await s.query(`SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ?`, [
          `${HISTORY_TABLE}_s_idx`,
        ]);
  if (exists.length === 0) await s.query(`CREATE INDEX ${HISTORY_TABLE}_s_idx ON ${HISTORY_TABLE} (success)`);
}

export async function historyTableExists(s: MigrationSession): Promise<boolean> {
  const rows =
    s.engine === 'mysql'
      ? await s.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?`, [
          HISTORY_TABLE,
        ])
      : await s.query(
          `SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?`,
          [HISTORY_TABLE],
        );
  return rows.length > 0;
}

export async function readHistory(s: MigrationSession): Promise<HistoryRow[]> {
  const rows = await s.query(
    `SELECT installed_rank, version, description, type, script, checksum, installed_by, installed_on, execution_time, success
       FROM ${HISTORY_TABLE} ORDER BY installed_rank`,
  );
  return rows.map((r) => ({
    installedRank: Number(r.installed_rank),
    version: r.version === null ? null : String(r.version),
    description: String(r.description),
    type: String(r.type),
    script: String(r.script),
    checksum: r.checksum === null ? null : Number(r.checksum),
    installedBy: String(r.installed_by),
    installedOn: r.installed_on instanceof Date ? r.installed_on.toISOString() : String(r.installed_on),
    executionTime: Number(r.execution_time),
    success: r.success === true || Number(r.success) === 1,
  }));
}

export type NewHistoryRow = Omit<HistoryRow, 'installedRank' | 'installedOn'>;

/** Appends a row with the next installed_rank (callers hold the migration lock). */
export async function insertHistory(s: MigrationSession, row: NewHistoryRow): Promise<void> {
  const [max] = await s.query<{ r: number | null }>(`SELECT MAX(installed_rank) AS r FROM ${HISTORY_TABLE}`);
  const rank = Number(max?.r ?? 0) + 1;
  await s.query(
    `INSERT INTO ${HISTORY_TABLE} (installed_rank, version, description, type, script, checksum, installed_by, execution_time, success)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      rank,
      row.version,
      row.description,
      row.type,
      row.script,
      row.checksum,
      row.installedBy,
      row.executionTime,
      s.engine === 'mysql' ? (row.success ? 1 : 0) : row.success,
    ],
  );
}

export async function deleteFailedRows(s: MigrationSession): Promise<number> {
  const failed = await s.query(`SELECT installed_rank FROM ${HISTORY_TABLE} WHERE success = ?`, [
    s.engine === 'mysql' ? 0 : false,
  ]);
  if (failed.length > 0)
    await s.query(`DELETE FROM ${HISTORY_TABLE} WHERE success = ?`, [s.engine === 'mysql' ? 0 : false]);
  return failed.length;
}

export async function updateChecksum(
  s: MigrationSession,
  installedRank: number,
  checksum: number,
  description: string,
): Promise<void> {
  await s.query(`UPDATE ${HISTORY_TABLE} SET checksum = ?, description = ? WHERE installed_rank = ?`, [
    checksum,
    description,
    installedRank,
  ]);
}
