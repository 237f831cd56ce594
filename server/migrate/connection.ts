/** What the runner needs from a database: a thin, engine-neutral session (one connection). */
export const Engines = ['mysql', 'postgres'] as const;
export type Engine = (typeof Engines)[number];

export function isEngine(x: unknown): x is Engine {
  return typeof x === 'string' && (Engines as readonly string[]).includes(x);
}

/** Where the target database is; `url` wins over the separate fields. */
export type ConnectionOptions = {
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  /** Name of the target database when no url names it (additive to the lead's contract). */
  database?: string;
};

export interface MigrationSession {
  readonly engine: Engine;
  /** The database (MySQL) or schema (PostgreSQL) the history table and migrations live in. */
  readonly schemaName: string;
  /** The physical database connected to. */
  readonly databaseName: string;
  /** PostgreSQL runs DDL in transactions; MySQL/MariaDB commit implicitly on DDL. */
  readonly transactionalDdl: boolean;
  /** Runs one parametrised statement. Placeholders are written `?` and translated per engine. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a whole migration script; `onStatement` reports progress (MySQL runs statement by statement). */
  runScript(script: string, onStatement?: (line: number) => void): Promise<void>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  /** Takes a named session lock; false when `timeoutSeconds` elapsed first. */
  tryLock(name: string, timeoutSeconds: number): Promise<boolean>;
  unlock(name: string): Promise<void>;
  currentUser(): Promise<string>;
  close(): Promise<void>;
}

/** Carries the failing statement's line in the script, for clear messages. */
export class ScriptError extends Error {
  override name = 'ScriptError';
  constructor(
    message: string,
    readonly line: number | undefined,
    readonly statement: string | undefined,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

export async function openSession(
  engine: Engine,
  connection: ConnectionOptions,
  fallbackDatabase: string,
): Promise<MigrationSession> {
  switch (engine) {
    case 'mysql':
      return (await import('./mysql-session.js')).openMysqlSession(connection, fallbackDatabase);
    case 'postgres':
      return (await import('./postgres-session.js')).openPostgresSession(connection, fallbackDatabase);
    default: {
      const never: never = engine;
      throw new Error(`unknown engine ${String(never)}`);
    }
  }
}

/** A url with the password replaced, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
