import { parseArgs } from 'node:util';
import { isEngine, type Engine } from './connection.js';

export const Commands = ['migrate', 'info', 'validate', 'repair', 'undo', 'baseline', 'maintain'] as const;
export type Command = (typeof Commands)[number];

export type CliOptions = {
  command: Command;
  engine?: Engine;
  databases: string[];
  url?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  schema?: string;
  target?: string;
  migrationsRoot?: string;
  create: boolean;
  json: boolean;
};

export const HELP = `Usage: npm run migrate[:info|:validate|:repair|:undo] -- [options]
       tsx server/migrate/cli.ts <migrate|info|validate|repair|undo|baseline|maintain> [options]

Flyway-compatible migrations of the NileCare relational databases (migrations/<engine>/<database>/
V<n>__*.sql, U<n>__*.sql, R__*.sql; history in flyway_schema_history).

Commands:
  migrate    apply pending versioned migrations (up to --target), then new or changed repeatables
  info       list every migration with its state (Pending, Success, Undone, Outdated, Failed, …)
  validate   fail (exit 1) if an applied file changed, is missing, or a migration failed
  repair     remove failed rows and realign recorded checksums with the files
  undo       run U scripts: the latest applied version, or every version above --target (0 = all)
  baseline   adopt an existing database already at --target (default 1): versions up to it never run
  maintain   run the schema's maintenance (device_readings partitions and 1-year retention)

Options (environment variable in brackets):
  -e, --engine <mysql|postgres>   [MIGRATE_ENGINE] default: every engine
  -d, --database <name>           logical database, e.g. nilecare_auth; repeatable [MIGRATE_DATABASE,
                                  comma-separated]; default: every database of the engine(s)
  -u, --url <url>                 connection url of the target database [MIGRATE_URL]; default: the
                                  server url (MYSQL_URL=mysql://root@127.0.0.1:3306,
                                  POSTGRES_URL=postgres://postgres@127.0.0.1:5432) + /<database>
      --host, --port, --user, --password   instead of --url
      --schema <name>             physical database name when it differs from the logical one
  -t, --target <version>          migrate: highest version (default latest); undo: stay at this version;
                                  baseline: the version the database is at
      --create                    create the target database first if it does not exist
      --dir <path>                migrations root (default: the repository's migrations/)
      --json                      info/validate: print JSON
  -h, --help                      this text
Exit status: 0 success, 1 failure or validation errors, 2 bad arguments.`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseCliArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        engine: { type: 'string', short: 'e' },
        database: { type: 'string', short: 'd', multiple: true },
        url: { type: 'string', short: 'u' },
        host: { type: 'string' },
        port: { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        schema: { type: 'string' },
        target: { type: 'string', short: 't' },
        dir: { type: 'string' },
        create: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const v = parsed.values;
  if (v.help) return 'help';
  const [command, ...rest] = parsed.positionals;
  if (!command) throw new UsageError('missing command');
  if (!(Commands as readonly string[]).includes(command))
    throw new UsageError(`unknown command "${command}" (one of ${Commands.join(', ')})`);
  if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  const engine = v.engine ?? env.MIGRATE_ENGINE;
  if (engine !== undefined && !isEngine(engine))
    throw new UsageError(`--engine must be mysql or postgres, not "${engine}"`);
  const databases =
    v.database ??
    (env.MIGRATE_DATABASE
      ? env.MIGRATE_DATABASE.split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : []);
  for (const d of databases) if (!/^[a-z][a-z0-9_]*$/.test(d)) throw new UsageError(`invalid database name "${d}"`);
  const url = v.url ?? env.MIGRATE_URL;
  if ((url || v.schema || v.host) && databases.length !== 1)
    throw new UsageError('--url, --host and --schema need exactly one --database');
  const port = v.port === undefined ? undefined : Number(v.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new UsageError(`invalid --port "${v.port}"`);
  if (v.target !== undefined && v.target !== 'latest' && !/^\d+(?:[._]\d+)*$/.test(v.target))
    throw new UsageError(`invalid --target "${v.target}" (a version like 2 or 1.1, or latest)`);
  return {
    command: command as Command,
    engine,
    databases,
    url,
    host: v.host,
    port,
    user: v.user,
    password: v.password,
    schema: v.schema,
    target: v.target,
    migrationsRoot: v.dir,
    create: v.create,
    json: v.json,
  };
}
