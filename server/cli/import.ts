/**
 * npm run import -- [--url http://127.0.0.1:8080/fhir] [--token TOKEN] [--state .import-state.json] PATH…
 * Loads ndjson files and folders of Bundles into a running server, with a progress bar and a summary;
 * run it again after an interruption and it resumes.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { importPaths, listImportFiles } from './bulk-import.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: 'string', default: process.env.FHIR_URL ?? 'http://127.0.0.1:8080/fhir' },
    token: { type: 'string', default: process.env.FHIR_TOKEN },
    state: { type: 'string', default: '.import-state.json' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help || positionals.length === 0) {
  console.log(
    'usage: npm run import -- [--url BASE] [--token TOKEN] [--state FILE] FILE_OR_FOLDER…\n  ndjson files: one resource a line (PUT by id, in batches); .json files: transaction or batch Bundles',
  );
  process.exit(values.help ? 0 : 2);
}

const files = listImportFiles(positionals);
const bar = new cliProgress.SingleBar(
  { format: 'import [{bar}] {value}/{total} files | {resources} resources | {file}' },
  cliProgress.Presets.shades_classic,
);
bar.start(files.length, 0, { resources: 0, file: '' });
let lastFile = '';
let resourcesSeen = 0;
const summary = await importPaths({
  baseUrl: values.url as string,
  token: values.token,
  statePath: values.state as string,
  paths: positionals,
  onProgress: ({ file, done }) => {
    if (file !== lastFile) {
      if (lastFile) bar.increment();
      lastFile = file;
    }
    resourcesSeen = done;
    bar.update({ resources: resourcesSeen, file: file.split('/').pop() });
  },
});
bar.update(files.length);
bar.stop();
console.log(JSON.stringify({ ...summary, failures: summary.failures.slice(0, 20) }, null, 2));
process.exit(summary.failed > 0 ? 1 : 0);
