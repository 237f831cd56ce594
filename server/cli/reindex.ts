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
  process.stdout.write(
    `${JSON.stringify({ ...result, seconds: Math.round((Date.now() - started) / 100) / 10, store: store.description })}\n`,
  );
} finally {
  await store.close();
}
