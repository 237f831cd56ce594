/** Default code tables with the site's fhir_mappings overrides, re-read at most every ttlMs. */
import { CodeTables } from '../mapping/code-tables.js';
import type { MessageLog } from '../log/message-log.js';

export function cachedCodeTables(
  log: MessageLog,
  defaults = CodeTables.loadDefaults(),
  ttlMs = 30_000,
): () => Promise<CodeTables> {
  let cached: { at: number; tables: CodeTables } | undefined;
  return async () => {
    if (cached && Date.now() - cached.at < ttlMs) return cached.tables;
    const tables = defaults.withOverrides(await log.codeOverrides());
    cached = { at: Date.now(), tables };
    return tables;
  };
}
