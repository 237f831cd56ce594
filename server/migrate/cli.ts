import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMain } from '../cli/cli-kit.js';
import { Engines, redactUrl, type Engine } from './connection.js';
import { HELP, parseCliArgs, UsageError, type CliOptions } from './cli-args.js';
import { createDatabaseIfMissing } from './create-database.js';
import {
  baselineDatabase,
  DEFAULT_MIGRATIONS_ROOT,
  infoDatabase,
  maintainDatabase,
  migrateDatabase,
  repairDatabase,
  undoDatabase,
  validateDatabase,
  type MigrateOptions,
} from './migrate.js';
import { formatInfo } from './format-info.js';
import { databaseUrl, serverUrl } from './server-urls.js';

type Job = { engine: Engine; database: string; url: string };

function listJobs(o: CliOptions): Job[] {
  const root = o.migrationsRoot ?? DEFAULT_MIGRATIONS_ROOT;
  const engines = o.engine ? [o.engine] : [...Engines];
  const jobs: Job[] = [];
  const foldersOf = (e: Engine) => {
    const dir = join(root, e);
    return existsSync(dir)
      ? readdirSync(dir)
          .filter((n) => statSync(join(dir, n)).isDirectory())
          .sort()
      : [];
  };
  const names = o.databases.length ? o.databases : undefined;
  for (const d of names ?? []) {
    const found = engines.filter((e) => foldersOf(e).includes(d));
    if (found.length === 0)
      throw new UsageError(`no migrations for database "${d}" under ${root}/{${engines.join(',')}}`);
  }
  for (const e of engines) {
    for (const d of foldersOf(e)) {
      if (names && !names.includes(d)) continue;
      jobs.push({ engine: e, database: d, url: targetUrl(o, e, d) });
    }
  }
  return jobs;
}

function targetUrl(o: CliOptions, engine: Engine, database: string): string {
  if (o.url) return o.url;
  const physical = o.schema ?? database;
  if (!o.host) return databaseUrl(engine, physical, serverUrl(engine));
  const u = new URL(`${engine === 'mysql' ? 'mysql' : 'postgres'}://${o.host}`);
  if (o.port) u.port = String(o.port);
  if (o.user) u.username = encodeURIComponent(o.user);
  if (o.password) u.password = encodeURIComponent(o.password);
  return databaseUrl(engine, physical, u.toString());
}

export type CliIo = { out: (line: string) => void; err: (line: string) => void };

async function run(o: CliOptions, io: CliIo): Promise<number> {
  const jobs = listJobs(o);
  let failures = 0;
  for (const job of jobs) {
    const log = (line: string) => io.out(`[${job.engine}/${job.database}] ${line}`);
    const options: MigrateOptions = {
      engine: job.engine,
      database: job.database,
      connection: { url: job.url },
      target: o.target,
      log,
      migrationsRoot: o.migrationsRoot,
    };
    try {
      if (o.create && (await createDatabaseIfMissing(job.engine, job.url)))
        log(`Created database ${redactUrl(job.url)}`);
      log(`${o.command} ${redactUrl(job.url)}`);
      switch (o.command) {
        case 'migrate':
          await migrateDatabase(options);
          break;
        case 'undo':
          await undoDatabase(options);
          break;
        case 'repair':
          await repairDatabase(options);
          break;
        case 'maintain':
          await maintainDatabase(options);
          break;
        case 'baseline':
          await baselineDatabase(options);
          break;
        case 'info': {
          const info = await infoDatabase(options);
          io.out(
            o.json
              ? JSON.stringify({
                  engine: job.engine,
                  database: job.database,
                  currentVersion: info.currentVersion,
                  migrations: info.rows.map(({ file: _f, undoFile: u, applied: a, ...r }) => ({
                    ...r,
                    undo: u?.script ?? null,
                    installedOn: a?.installedOn ?? null,
                  })),
                })
              : formatInfo(info),
          );
          break;
        }
        case 'validate': {
          const v = await validateDatabase(options);
          if (o.json) io.out(JSON.stringify({ engine: job.engine, database: job.database, ...v }));
          else if (v.valid) log(`Successfully validated (${v.pending} pending)`);
          else for (const e of v.errors) log(`ERROR: ${e}`);
          if (!v.valid) failures++;
          break;
        }
        default: {
          const never: never = o.command;
          throw new Error(`unhandled command ${String(never)}`);
        }
      }
    } catch (e) {
      failures++;
      const err = e as Error & { code?: string };
      const hint =
        err.code === 'ER_BAD_DB_ERROR' || err.code === '3D000' ? ' (the database does not exist: add --create)' : '';
      for (const line of `${err.message}${hint}`.split('\n')) log(`ERROR: ${line}`);
    }
  }
  return failures === 0 ? 0 : 1;
}

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export async function runCli(
  argv: string[],
  io: CliIo = { out: (l) => console.log(l), err: (l) => console.error(l) },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let options;
  try {
    options = parseCliArgs(argv, env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`error: ${e.message}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    io.out(HELP);
    return 0;
  }
  try {
    return await run(options, io);
  } catch (e) {
    io.err(`error: ${(e as Error).message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}

if (isMain(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2));
}
