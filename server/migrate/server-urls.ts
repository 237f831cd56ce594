import type { Engine } from './connection.js';

/**
 * Where the database servers are. Environment: MYSQL_URL (default mysql://root@127.0.0.1:3306) and
 * POSTGRES_URL (default postgres://postgres@127.0.0.1:5432); a path in the url is ignored here —
 * `databaseUrl` puts the database name in.
 */
export function serverUrl(engine: Engine, env: NodeJS.ProcessEnv = process.env): string {
  switch (engine) {
    case 'mysql':
      return env.MYSQL_URL || 'mysql://root@127.0.0.1:3306';
    case 'postgres':
      return env.POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432';
    default: {
      const never: never = engine;
      throw new Error(`unknown engine ${String(never)}`);
    }
  }
}

/** The url of database `name` on the server of `engine` (query string kept). */
export function databaseUrl(engine: Engine, name: string, base = serverUrl(engine)): string {
  const u = new URL(base);
  u.pathname = `/${name}`;
  return u.toString();
}
