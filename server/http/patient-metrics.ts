/**
 * Prometheus metrics of patient identity: probable duplicates reported at create (by grade and by source: REST,
 * transaction — the HL7 inbound path writes through transactions), failed duplicate checks, and whether the stored
 * search index is older than the server's text rules (a reindex is pending or running).
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type PatientMetrics = {
  duplicateDetected(grade: string, source: string): void;
  duplicateCheckFailed(): void;
};

export function registerPatientMetrics(registry: Registry, indexOutdated: () => boolean): PatientMetrics {
  const registers = [registry];
  const duplicates = new Counter({
    name: 'nilecare_patient_duplicates_total',
    help: 'Probable duplicate patients reported when a Patient was created, by match grade and source',
    labelNames: ['grade', 'source'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'nilecare_patient_duplicate_check_failures_total',
    help: 'Duplicate checks that failed after a Patient was created (the create itself stood)',
    registers,
  });
  new Gauge({
    name: 'nilecare_index_outdated',
    help: '1 while the stored search index is older than the text rules of this server (a reindex is due or running)',
    registers,
    collect() {
      this.set(indexOutdated() ? 1 : 0);
    },
  });
  return {
    duplicateDetected: (grade, source) => duplicates.inc({ grade, source }),
    duplicateCheckFailed: () => failures.inc(),
  };
}
