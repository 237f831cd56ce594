/**
 * At start: is the stored search index written with the current text rules (server/fhir/indexing/reindex.ts)? If
 * not, the server says so in its log and, with NILECARE_REINDEX=auto (the default), re-extracts it in the
 * background while serving; searches meanwhile may miss the new matches on resources not yet reindexed (the log
 * and the `nilecare_index_outdated` gauge say until when). `npm run reindex` does the same from the command line.
 */
import type { Logger } from 'pino';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from './store/resource-store.js';
import { indexStatus, reindexStore } from './fhir/indexing/reindex.js';
import type { ResourceIndex } from './fhir/indexing/index-entry.js';

export type BackgroundReindex = {
  /** true while the stored index is older than the code's text rules. */
  outdated(): boolean;
  stop(): Promise<void>;
};

export async function startBackgroundReindex(options: {
  store: ResourceStore;
  mode: 'auto' | 'off';
  resourceTypes: readonly string[];
  extractIndex: (resource: Resource) => ResourceIndex;
  logger: Logger;
}): Promise<BackgroundReindex> {
  const { store, logger } = options;
  const status = await indexStatus(store);
  let outdated = !status.upToDate;
  if (!outdated) return { outdated: () => false, stop: async () => undefined };
  if (options.mode === 'off') {
    logger.warn(
      { stored: status.stored, current: status.current },
      'the search index was written by an earlier version (text rules): run `npm run reindex`, or searches miss Arabic folds, name parts and phonetic matches on older resources',
    );
    return { outdated: () => outdated, stop: async () => undefined };
  }
  logger.warn(
    { stored: status.stored, current: status.current },
    'search index outdated: reindexing in the background',
  );
  const controller = new AbortController();
  const started = Date.now();
  let lastLog = 0;
  const run = reindexStore(store, {
    resourceTypes: options.resourceTypes,
    extractIndex: options.extractIndex,
    signal: controller.signal,
    onProgress: (p) => {
      if (Date.now() - lastLog < 10_000) return;
      lastLog = Date.now();
      logger.info(p, 'reindex progress');
    },
  }).then(
    (result) => {
      outdated = !result.completed;
      if (result.completed)
        logger.info({ ...result, seconds: Math.round((Date.now() - started) / 1000) }, 'reindex completed');
      else logger.warn(result, 'reindex stopped before the end; it resumes at the next start');
    },
    (error: unknown) => logger.error({ err: error }, 'reindex failed; it resumes at the next start'),
  );
  return {
    outdated: () => outdated,
    stop: async () => {
      controller.abort();
      await run;
    },
  };
}
