import { HistoryType, type HistoryRow } from './history-table.js';
import { compareVersions, type MigrationFile } from './migration-file.js';

/** Flyway's state names, as `migrate:info` prints them. */
export const MigrationState = {
  pending: 'Pending',
  success: 'Success',
  failed: 'Failed',
  undone: 'Undone',
  outdated: 'Outdated',
  missing: 'Missing',
  ignored: 'Ignored',
  future: 'Future',
  belowBaseline: 'Below Baseline',
} as const;
export type MigrationState = (typeof MigrationState)[keyof typeof MigrationState];

export type InfoRow = {
  category: 'Versioned' | 'Repeatable';
  version: string | null;
  description: string;
  script: string;
  state: MigrationState;
  /** The local file (absent for Missing / Future rows). */
  file?: MigrationFile;
  /** The U file that undoes this version, if there is one. */
  undoFile?: MigrationFile;
  /** The history row that decided the state. */
  applied?: HistoryRow;
  /** True when an applied version's file no longer has the recorded checksum. */
  checksumMismatch: boolean;
};

export type SchemaState = {
  rows: InfoRow[];
  /** Highest applied (Success) version, or null at the empty schema. */
  currentVersion: string | null;
};

/**
 * Merges the files on disk with flyway_schema_history. A version's state is given by its latest
 * SQL / UNDO_SQL row. A repeatable is re-applied when its checksum changed or when a versioned
 * migration or undo ran after it (so views come back after an undo to zero and a new migrate —
 * a deliberate extension of Flyway, which only looks at the checksum).
 */
export function computeState(files: readonly MigrationFile[], history: readonly HistoryRow[]): SchemaState {
  const rows: InfoRow[] = [];
  const versioned = files.filter((f) => f.kind === 'versioned');
  const undos = new Map(files.filter((f) => f.kind === 'undo').map((f) => [f.version!, f]));
  const lastByVersion = new Map<string, HistoryRow>();
  for (const h of history) {
    if (h.version !== null && (h.type === HistoryType.sql || h.type === HistoryType.undo))
      lastByVersion.set(h.version, h);
  }
  // A database adopted with `baseline` (or Flyway's baselineOnMigrate): versions up to it count as there.
  const baseline =
    history.filter((h) => h.type === HistoryType.baseline && h.success && h.version !== null).at(-1)?.version ?? null;
  const appliedVersions = [...lastByVersion.values()]
    .filter((h) => h.type === HistoryType.sql && h.success)
    .map((h) => h.version!);
  if (baseline !== null) appliedVersions.push(baseline);
  const currentVersion = appliedVersions.sort(compareVersions).at(-1) ?? null;
  const maxLocal =
    versioned
      .map((f) => f.version!)
      .sort(compareVersions)
      .at(-1) ?? null;

  for (const f of versioned) {
    const h = lastByVersion.get(f.version!);
    const base = {
      category: 'Versioned' as const,
      version: f.version,
      description: f.description,
      script: f.script,
      file: f,
      undoFile: undos.get(f.version!),
    };
    if (!h && baseline !== null && compareVersions(f.version!, baseline) <= 0) {
      rows.push({ ...base, state: MigrationState.belowBaseline, checksumMismatch: false });
      continue;
    }
    if (!h) {
      const older = currentVersion !== null && compareVersions(f.version!, currentVersion) < 0;
      rows.push({ ...base, state: older ? MigrationState.ignored : MigrationState.pending, checksumMismatch: false });
      continue;
    }
    const state = !h.success
      ? MigrationState.failed
      : h.type === HistoryType.undo
        ? MigrationState.undone
        : MigrationState.success;
    const mismatch = state === MigrationState.success && h.checksum !== f.checksum;
    rows.push({ ...base, state, applied: h, checksumMismatch: mismatch });
  }
  const local = new Set(versioned.map((f) => f.version!));
  for (const [version, h] of lastByVersion) {
    if (local.has(version) || (h.type === HistoryType.undo && h.success)) continue;
    const future = maxLocal === null || compareVersions(version, maxLocal) > 0;
    const state = !h.success ? MigrationState.failed : future ? MigrationState.future : MigrationState.missing;
    rows.push({
      category: 'Versioned',
      version,
      description: h.description,
      script: h.script,
      state,
      applied: h,
      checksumMismatch: false,
    });
  }
  rows.sort((a, b) => compareVersions(a.version!, b.version!));

  const lastRepeatable = new Map<string, HistoryRow>();
  for (const h of history) if (h.version === null && h.type === HistoryType.sql) lastRepeatable.set(h.description, h);
  const lastVersionedRank = Math.max(0, ...history.filter((h) => h.version !== null).map((h) => h.installedRank));
  for (const f of files.filter((x) => x.kind === 'repeatable')) {
    const h = lastRepeatable.get(f.description);
    const base = {
      category: 'Repeatable' as const,
      version: null,
      description: f.description,
      script: f.script,
      file: f,
      checksumMismatch: false,
    };
    if (!h) rows.push({ ...base, state: MigrationState.pending });
    else if (!h.success) rows.push({ ...base, state: MigrationState.failed, applied: h });
    else if (h.checksum !== f.checksum || h.installedRank < lastVersionedRank)
      rows.push({ ...base, state: MigrationState.outdated, applied: h });
    else rows.push({ ...base, state: MigrationState.success, applied: h });
  }
  const localRepeatables = new Set(files.filter((x) => x.kind === 'repeatable').map((f) => f.description));
  for (const [description, h] of lastRepeatable) {
    if (localRepeatables.has(description)) continue;
    rows.push({
      category: 'Repeatable',
      version: null,
      description,
      script: h.script,
      state: h.success ? MigrationState.missing : MigrationState.failed,
      applied: h,
      checksumMismatch: false,
    });
  }
  return { rows, currentVersion };
}

/** What `validate` (and every `migrate`, before it changes anything) refuses. Empty when valid. */
export function validationErrors(state: SchemaState): string[] {
  const errors: string[] = [];
  for (const r of state.rows) {
    const name = r.version ? `version ${r.version} (${r.script})` : `repeatable ${r.script}`;
    if (r.checksumMismatch) {
      errors.push(
        `Migration checksum mismatch for ${name}: applied ${r.applied?.checksum}, file now ${r.file?.checksum} — an applied migration was edited; revert the file, or run migrate:repair if the change is intended`,
      );
    }
    switch (r.state) {
      case MigrationState.failed:
        errors.push(
          `Detected failed migration ${name}: fix the database by hand, then run migrate:repair to remove the failed row`,
        );
        break;
      case MigrationState.missing:
        errors.push(`Detected applied migration not resolved locally: ${name} — its file was deleted or renamed`);
        break;
      case MigrationState.ignored:
        errors.push(
          `Detected resolved migration not applied to database: ${name} is older than the current version ${state.currentVersion}`,
        );
        break;
      case MigrationState.pending:
      case MigrationState.success:
      case MigrationState.undone:
      case MigrationState.outdated:
      case MigrationState.future:
      case MigrationState.belowBaseline:
        break;
      default: {
        const never: never = r.state;
        throw new Error(`unhandled state ${String(never)}`);
      }
    }
  }
  return errors;
}
