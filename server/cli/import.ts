/**
 * npm run import -- [--url http://127.0.0.1:8080/fhir] [--token TOKEN] [--state .import-state.json]
 *                   [--batch-size 500] [--progress-every 1000] PATH…
 * Loads ndjson files and folders of Bundles into a running server (see bulk-import.ts). Run it again after an
 * interruption: it resumes, and the result is that of one clean load. Exit code 0 only when everything loaded.
 */
import { parseArgs } from 'node:util';
import { importPaths, listImportFiles } from './bulk-import.js';
import { ImportStateError } from './import-state.js';
import { progressReporter } from './import-progress.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.FHIR_URL ?? 'http://127.0.0.1:8080/fhir' },
    token: { type: 'string', default: process.env.FHIR_TOKEN },
    state: { type: 'string', default: '.import-state.json' },
    'batch-size': { type: 'string', default: '500' },
    'progress-every': { type: 'string', default: '1000' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || positionals.length === 0) {
  console.log(
    'usage: npm run import -- [--url BASE] [--token TOKEN] [--state FILE] [--batch-size N] [--progress-every N] FILE_OR_FOLDER…\n' +
      '  ndjson files: one resource a line (PUT by id, in batches); .json files: transaction or batch Bundles\n' +
      '  rerun after an interruption: complete files are skipped, the rest resumes; nothing is loaded twice\n' +
      '  --url defaults to FHIR_URL, else http://127.0.0.1:8080/fhir; --token defaults to FHIR_TOKEN (better: npm run\n' +
      '  prints its arguments). A token that may write: npm run auth -- register-backend --client-id importer\n' +
      '  --scope "system/*.cruds" --key-out importer.json, then export FHIR_TOKEN=$(npm run -s auth -- token --key importer.json)',
  );
  process.exit(values.help ? 0 : 2);
}

const batchSize = Number(values['batch-size']);
const every = Number(values['progress-every']);
if (!Number.isInteger(batchSize) || batchSize < 1 || !Number.isInteger(every) || every < 1) {
  console.error('--batch-size and --progress-every take a whole number ≥ 1');
  process.exit(2);
}

// Ctrl-C stops at once: the journal is consistent at every instant, and the next run takes over the lock.
process.once('SIGINT', () => {
  console.error('\nimport interrupted: run the same command again to resume');
  process.exit(130);
});

try {
  const files = listImportFiles(positionals);
  const progress = progressReporter(files.length, process.stdout, every);
  const summary = await importPaths({
    baseUrl: values.url,
    token: values.token,
    statePath: values.state,
    paths: positionals,
    batchSize,
    onProgress: progress.onProgress,
    onFile: progress.onFile,
  }).finally(() => progress.stop());
  console.log(JSON.stringify({ ...summary, failures: summary.failures.slice(0, 20) }, null, 2));
  process.exit(summary.failed > 0 ? 1 : 0);
} catch (error) {
  if (error instanceof ImportStateError) console.error(error.message);
  else console.error(`import stopped: ${(error as Error).message}\nRun the same command again to resume.`);
  process.exit(3);
}
