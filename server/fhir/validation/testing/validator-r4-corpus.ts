/**
 * Runs the R4 validator cases of HL7's fhir-test-cases (corpus folder fhir-test-cases/validator-r4) through
 * validateResource and compares each valid/invalid verdict with the Java reference validator's
 * (expected-summary.csv: error/fatal count → valid/invalid). Used by the test and by anyone who wants the figure.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { clearRegisteredConformance, registerConformanceResources } from '../profile-registry.js';
import { hasErrors, validateResource } from '../validate-resource.js';
import { corpusMissing, corpusPath } from '../../../testing/corpus.js';

export const VALIDATOR_R4_DIR = corpusPath('fhir-test-cases', 'validator-r4');

export type Verdict = 'valid' | 'invalid';
export type CaseResult = {
  name: string;
  step: 'base' | 'profile';
  expected: Verdict;
  actual: Verdict;
  /** The first error issues found (for the list of misses). */
  errors: string[];
};
export type CorpusRun = {
  base: CaseResult[];
  profile: CaseResult[];
  skippedProfileSteps: { name: string; reason: string }[];
};

type ManifestCase = {
  name: string;
  file: string;
  supporting?: string[];
  profiles?: string[];
  profile?: { source: string; supporting?: string[] };
};

type SummaryRow = { name: string; file: string; base: Verdict; profile?: Verdict; profileSource?: string };

/** Why the validator cases cannot run (false when they can); under CI=true their absence throws. */
export function validatorCorpusMissing(dir = VALIDATOR_R4_DIR): string | false {
  return corpusMissing(join(dir, 'manifest-subset.json'), join(dir, 'expected-summary.csv'));
}

export function runValidatorCorpus(dir = VALIDATOR_R4_DIR): CorpusRun {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest-subset.json'), 'utf8')) as {
    'test-cases': ManifestCase[];
  };
  const cases = new Map(manifest['test-cases'].map((c) => [c.name, c]));
  const run: CorpusRun = { base: [], profile: [], skippedProfileSteps: [] };
  for (const row of readSummary(join(dir, 'expected-summary.csv'))) {
    const entry = cases.get(row.name);
    // Each case sees only its own supporting definitions, as each Java validator run does.
    clearRegisteredConformance();
    const supporting = [...(entry?.supporting ?? []), ...(entry?.profiles ?? [])];
    loadSupporting(dir, supporting);
    const content = readCaseFile(dir, row.file);
    const baseIssues = content.ok ? validateResource(content.json) : [content.issue];
    run.base.push(result(row.name, 'base', row.base, baseIssues));

    if (!row.profile || !entry?.profile) continue;
    const source = entry.profile.source;
    const missing = [source, ...(entry.profile.supporting ?? [])].find(
      (f) => !f.endsWith('.json') || !existsSync(join(dir, f)),
    );
    if (missing) {
      run.skippedProfileSteps.push({
        name: row.name,
        reason: `${missing} is not JSON or not present (XML profiles are not read)`,
      });
      continue;
    }
    loadSupporting(dir, entry.profile.supporting ?? []);
    const profile = loadSupporting(dir, [source])[0] as { url?: string } | undefined;
    const issues =
      content.ok && profile?.url ? validateResource(content.json, { profiles: [profile.url] }) : baseIssues;
    run.profile.push(result(row.name, 'profile', row.profile, issues));
  }
  return run;
}

export function agreement(results: CaseResult[]): number {
  return results.length === 0 ? 1 : results.filter((r) => r.expected === r.actual).length / results.length;
}

export function misses(results: CaseResult[]): CaseResult[] {
  return results.filter((r) => r.expected !== r.actual);
}

function result(
  name: string,
  step: CaseResult['step'],
  expected: Verdict,
  issues: OperationOutcomeIssue[],
): CaseResult {
  const errors = issues
    .filter((i) => i.severity === 'error' || i.severity === 'fatal')
    .slice(0, 3)
    .map((i) => `${i.expression?.[0] ?? ''}: ${i.details?.text ?? i.diagnostics ?? ''}`);
  return { name, step, expected, actual: hasErrors(issues) ? 'invalid' : 'valid', errors };
}

type CaseContent = { ok: true; json: unknown } | { ok: false; issue: OperationOutcomeIssue };

/** A case file that is not well-formed JSON is invalid, as the server's JSON parser would reject it. */
function readCaseFile(dir: string, file: string): CaseContent {
  try {
    return { ok: true, json: JSON.parse(readFileSync(join(dir, file), 'utf8')) };
  } catch (err) {
    return {
      ok: false,
      issue: { severity: 'fatal', code: 'structure', details: { text: `Not valid JSON: ${(err as Error).message}` } },
    };
  }
}

const loadedFiles = new Map<string, Resource[]>();

function loadSupporting(dir: string, files: string[]): Resource[] {
  const out: Resource[] = [];
  for (const file of files) {
    if (!file.endsWith('.json') || !existsSync(join(dir, file))) continue;
    let resources = loadedFiles.get(file);
    if (!resources) {
      const json = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Resource & {
        entry?: { resource?: Resource }[];
      };
      resources =
        json.resourceType === 'Bundle' ? (json.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])) : [json];
      loadedFiles.set(file, resources);
    }
    registerConformanceResources(resources);
    out.push(...resources);
  }
  return out;
}

function readSummary(path: string): SummaryRow[] {
  const [header = '', ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  const columns = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    const get = (name: string) => cells[columns.indexOf(name)] ?? '';
    const profileExpected = get('profile_expected');
    return {
      name: get('name'),
      file: get('file'),
      base: get('base_expected') as Verdict,
      ...(profileExpected ? { profile: profileExpected as Verdict, profileSource: get('profile') } : {}),
    };
  });
}
