/**
 * `npm run reindex`: re-extracts the search index of every current resource of the configured store (same
 * environment variables as `npm start`). Needed once after an upgrade that changes how text is indexed, when the
 * server's own background reindex is off (NILECARE_REINDEX=off); safe to run while the server serves, resumable,
 * and idempotent (server/fhir/indexing/reindex.ts).
 */
import { loadConfig } from '../config.js';
import { openConfiguredStore } from '../open-store.js';
import { loadDefinitions } from '../fhir/definitions.js';
import { extractIndex } from '../fhir/indexing/extract-index.js';
import { indexStatus, reindexStore } from '../fhir/indexing/reindex.js';
import { isMain, parseOptions, runCli, type CliIo } from './cli-kit.js';

export const REINDEX_HELP = `Usage: npm run reindex

Re-extracts the search index of every current resource of the configured store (same variables as npm start:
NILECARE_STORE, PGLITE_DATA_DIR, DATABASE_URL, MONGODB_URL …). Needed once after an upgrade that changed how text is
indexed when the server's background reindex is off (NILECARE_REINDEX=off). Resumable and idempotent; progress on
stderr, a JSON summary on stdout. Takes no options.`;

async function reindex(argv: readonly string[], io: CliIo): Promise<number> {
  parseOptions(argv, {});
  const config = loadConfig();
  const store = await openConfiguredStore(config.store);
  await store.init();
  try {
    const before = await indexStatus(store);
    process.stderr.write(`index text version: stored ${before.stored}, current ${before.current}\n`);
    const started = Date.now();
    const result = await reindexStore(store, {
      resourceTypes: loadDefinitions().resourceTypes,
      extractIndex,
      onProgress: (p) => process.stderr.write(`\r${p.type}: ${p.resources} resources read, ${p.replaced} reindexed   `),
    });
    process.stderr.write('\n');
    io.out(
      JSON.stringify({ ...result, seconds: Math.round((Date.now() - started) / 100) / 10, store: store.description }),
    );
    return 0;
  } finally {
    await store.close();
  }
}

if (isMain(import.meta.url))
  process.exitCode = await runCli(
    { name: 'reindex', helpCommand: 'npm run reindex -- --help', help: REINDEX_HELP },
    process.argv.slice(2),
    reindex,
  );
