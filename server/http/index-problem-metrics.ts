/**
 * Index values that could not be extracted (server/fhir/indexing/extract-index.ts): a resource stored without one of
 * its index rows is never found by that parameter, so each one is logged (warn, with type, id and parameter — never
 * the resource) and counted in `nilecare_index_values_skipped_total` by type, parameter and stage.
 */
import type { Resource } from '@medplum/fhirtypes';
import { Counter, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import type { IndexProblem } from '../fhir/indexing/extract-index.js';
import { extractIndex } from '../fhir/indexing/extract-index.js';
import type { ResourceIndex } from '../fhir/indexing/index-entry.js';

export function reportingIndexExtractor(registry: Registry, logger: Logger): (resource: Resource) => ResourceIndex {
  const skipped = new Counter({
    name: 'nilecare_index_values_skipped_total',
    help: 'Search-parameter values (or whole expressions) that could not be indexed, by resource type, parameter and stage',
    labelNames: ['type', 'param', 'stage'] as const,
    registers: [registry],
  });
  const report = (problem: IndexProblem) => {
    skipped.inc({ type: problem.resourceType, param: problem.param, stage: problem.stage });
    logger.warn(
      { resourceType: problem.resourceType, id: problem.id, param: problem.param, stage: problem.stage },
      `index: ${problem.resourceType}/${problem.id ?? '(new)'} ${problem.param} not indexed: ${problem.error}`,
    );
  };
  return (resource) => extractIndex(resource, report);
}
