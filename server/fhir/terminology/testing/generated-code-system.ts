/**
 * A generated code system for tests and benchmarks: `size` concepts C0 … C{size-1} whose displays are three words
 * of a small vocabulary (so that text filters match many or few), each Cn (n ≥ 10) below C{floor(n/10)} through a
 * `parent` property — a ten-way tree.
 */
import type { CodeSystemConcept } from '@medplum/fhirtypes';

const WORDS = [
  'acute',
  'chronic',
  'renal',
  'cardiac',
  'fracture',
  'infection',
  'malaria',
  'fever',
  'sickle',
  'anaemia',
  'diabetes',
  'type',
  'left',
  'right',
  'upper',
  'lower',
  'lobe',
  'pneumonia',
  'neonatal',
  'maternal',
  'haemorrhage',
  'cholera',
  'typhoid',
  'hepatitis',
  'viral',
  'bacterial',
  'injury',
  'burn',
  'ulcer',
  'asthma',
];

export function generatedConcepts(size: number): CodeSystemConcept[] {
  const concepts: CodeSystemConcept[] = [];
  for (let i = 0; i < size; i++) {
    const display = [WORDS[i % 30], WORDS[Math.floor(i / 30) % 30], WORDS[Math.floor(i / 900) % 30]].join(' ');
    concepts.push({
      code: `C${i}`,
      display: `${display} ${i}`,
      ...(i >= 10 ? { property: [{ code: 'parent', valueCode: `C${Math.floor(i / 10)}` }] } : {}),
    });
  }
  return concepts;
}
