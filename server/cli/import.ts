/**
 * `npm run import -- [options] FILE_OR_FOLDER…`: loads ndjson files and folders of Bundles (a Synthea output folder
 * as it is) into a running server (see bulk-import.ts). Run it again after an interruption: it resumes, and the
 * result is that of one clean load. Same variables as `npm start` for where the server is (BASE_URL, else
 * http://HOST:PORT/fhir); the token from FHIR_TOKEN or --token-file, never the command line.
 */
import { appendFileSync, rmSync } from 'node:fs';
import { loadConfig } from '../config.js';
import { FAILURES_KEPT, importPaths, listImportFiles } from './bulk-import.js';
import { ImportStateError } from './import-state.js';
import { progressReporter } from './import-progress.js';
import {
  EXIT,
  intOption,
  isMain,
  isUnreachable,
  parseOptions,
  runCli,
  unreachable,
  UsageError,
  type CliIo,
} from './cli-kit.js';
import { fhirToken } from './read-secret.js';

export const IMPORT_HELP = `Usage: npm run import -- [options] FILE_OR_FOLDER…

Loads FHIR data into a running server: .ndjson files (one resource a line, as $export writes them; PUT by id, in
batches) and .json transaction or batch Bundles; a folder loads its files and sub-folders. A Synthea output folder
loads as it is: its hospitalInformation* and practitionerInformation* Bundles go first, then the patients.
Rerun the same command after an interruption: complete files are skipped, the rest resumes; nothing loads twice.

Where the server is: the same variables as npm start — BASE_URL, else http://HOST:PORT/fhir (default
http://127.0.0.1:8080/fhir); --url BASE overrides them.

The token: FHIR_TOKEN, or --token-file FILE (a token on the command line is refused: npm run prints it). The server
needs one that may write, e.g. from a backend service (see README, "A token for a script or service"):
  npm run auth -- register-backend --client-id importer --scope "system/*.cruds" --key-out importer.json
  export FHIR_TOKEN=$(npm run -s auth -- token --key importer.json)
  npm run import -- ../synthea/output/fhir

Options:
  --url BASE            the FHIR base URL (default: from BASE_URL or HOST/PORT)
  --token-file FILE     read the token from FILE (default: FHIR_TOKEN)
  --state FILE          the resume journal (default .import-state.json)
  --failures FILE       where every failure is written when there are more than ${FAILURES_KEPT} (default
                        import-failures.txt; the summary shows the first ${FAILURES_KEPT})
  --batch-size N        ndjson lines per request (default 500)
  --progress-every N    without a terminal: a progress line every N resources loaded (default 1000)

Progress is a running total of the whole run (resources loaded, entries failed). Exit codes: 0 everything loaded,
1 some entries failed (rerun after fixing them), 2 usage mistake, 3 the server could not be reached (rerun resumes)
or the journal is in use.`;

const OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
  state: { type: 'string' },
  failures: { type: 'string' },
  'batch-size': { type: 'string' },
  'progress-every': { type: 'string' },
} as const;

export async function importCli(
  argv: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
  stdout: NodeJS.WriteStream = process.stdout,
): Promise<number> {
  const { values, positionals } = parseOptions(argv, OPTIONS, true);
  if (positionals.length === 0) throw new UsageError('give one or more files or folders to load');
  const batchSize = intOption('batch-size', values['batch-size'], 500, 1);
  const every = intOption('progress-every', values['progress-every'], 1000, 1);
  const token = await fhirToken(values, env);
  const baseUrl = (values.url ?? loadConfig(env).baseUrl).replace(/\/+$/, '');
  const statePath = values.state ?? '.import-state.json';
  const failuresPath = values.failures ?? 'import-failures.txt';
  let files: string[];
  try {
    files = listImportFiles(positionals);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  // Ctrl-C stops at once: the journal is consistent at every instant, and the next run takes over the lock.
  process.once('SIGINT', () => {
    io.err('\nimport interrupted: run the same command again to resume');
    process.exit(130);
  });

  // Every failure of this run: the first FAILURES_KEPT in the summary; past that, all of them in the file.
  rmSync(failuresPath, { force: true });
  const early: string[] = [];
  let failureCount = 0;
  const onFailure = (message: string) => {
    failureCount++;
    if (failureCount <= FAILURES_KEPT) early.push(message);
    else {
      if (failureCount === FAILURES_KEPT + 1) appendFileSync(failuresPath, early.map((m) => `${m}\n`).join(''));
      appendFileSync(failuresPath, `${message}\n`);
    }
  };

  const progress = progressReporter(files.length, stdout, every);
  try {
    const summary = await importPaths({
      baseUrl,
      ...(token ? { token } : {}),
      statePath,
      paths: positionals,
      batchSize,
      onProgress: progress.onProgress,
      onFile: progress.onFile,
      onFailure,
    }).finally(() => progress.stop());
    const long = failureCount > FAILURES_KEPT;
    io.out(JSON.stringify({ ...summary, ...(long ? { failuresFile: failuresPath } : {}) }, null, 2));
    if (summary.notFhir.length > 0)
      io.err(`import: ${summary.notFhir.length} JSON file(s) skipped, not FHIR (no resourceType)`);
    if (long)
      io.err(`import: ${failureCount} failures; the first ${FAILURES_KEPT} are above, all of them in ${failuresPath}`);
    return summary.failed > 0 ? EXIT.failed : EXIT.ok;
  } catch (error) {
    if (error instanceof ImportStateError) {
      io.err(`import: ${error.message}`);
      return EXIT.unreachable;
    }
    if (isUnreachable(error)) {
      const where = values.url ? '--url' : env.BASE_URL ? 'BASE_URL' : 'HOST/PORT';
      io.err(`import: ${unreachable('the FHIR server', baseUrl, where, error).message}`);
      io.err('Run the same command again to resume.');
      return EXIT.unreachable;
    }
    io.err(`import stopped: ${(error as Error).message.split('\n')[0]}`);
    io.err('Run the same command again to resume.');
    return EXIT.unreachable;
  }
}

if (isMain(import.meta.url))
  process.exitCode = await runCli(
    { name: 'import', helpCommand: 'npm run import -- --help', help: IMPORT_HELP },
    process.argv.slice(2),
    (argv, io) => importCli(argv, io),
  );
